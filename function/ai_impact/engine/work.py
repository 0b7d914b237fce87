"""GPU energy and busy time of each request, by the method its task calls for (``tasks.py``).

A row may mix parts (text tokens, input images, audio, generated images, video): each part is
estimated with its model and the parts are summed; ``steps`` lists them for debug, as the
hosted API's ``debug.steps`` does (description, duration, inferences).

Busy time is the request's latency on its replica in a batch of ``batch_size`` (Little's law):
the chain divides time-shared quantities (host power, idle capacity, embodied) by the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ai_impact import tasks
from ai_impact.engine import diffusion, image_tokens, modalities, text
from ai_impact.engine.columns import Step, Usage
from ai_impact.engine.errors import RowErrors
from ai_impact.engine.keys import combine_codes, int_codes


@dataclass(frozen=True)
class Deployment:
    """Per-deployment arrays (a model on a replica at a batch size)."""

    method: np.ndarray  # object: a tasks.METHODS value
    active_params_billions: np.ndarray
    total_params_billions: np.ndarray
    gpu_count: np.ndarray
    batch_size: np.ndarray
    gpu_tdp_w: np.ndarray
    gpu_bf16_tflops: np.ndarray
    gpu_memory_bandwidth_tbps: np.ndarray
    default_steps: np.ndarray
    default_width_px: np.ndarray
    default_height_px: np.ndarray
    text: text.Coefficients
    denoiser: diffusion.Denoiser | None = None  # per deployment; None: the default architecture


@dataclass(frozen=True)
class Work:
    gpu_j: np.ndarray
    busy_s: np.ndarray
    steps: list[Step] = field(default_factory=list)
    tokens: dict[str, np.ndarray] = field(default_factory=dict)  # text tokens used (debug)


def _tokens(
    usage: Usage, prompt: np.ndarray, output: np.ndarray, cached: np.ndarray
) -> dict[str, np.ndarray]:
    """The token counts the text physics used (the prompt as assumed when absent), for debug."""
    return {
        "input_tokens": prompt,
        "input_cached_tokens": cached,
        "output_tokens": output,
        "output_reasoning_tokens": _zero_if_absent(usage.output_reasoning_tokens),
    }


def _zeros_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(mask, values, 0.0)


def request_work(
    usage: Usage,
    dep: Deployment,
    codes: np.ndarray,
    errors: RowErrors,
    with_steps: bool = False,
) -> Work:
    """GPU energy (J) and busy time (s) of every row; its parts too when ``with_steps``.
    Rows whose inputs their method cannot estimate get an error in ``errors``."""
    n = usage.n_rows
    any_cached = bool(np.isfinite(usage.input_cached_tokens).any())
    cached = _zero_if_absent(usage.input_cached_tokens) if any_cached else None
    output_tokens = _zero_if_absent(usage.output_tokens)
    if all(m == tasks.TEXT for m in dep.method.tolist()) and not usage.has_media():
        # An absent prompt is a typical one (text.TYPICAL_PROMPT_TOKENS), a given one is exact.
        typical = text.TYPICAL_PROMPT_TOKENS
        default = typical if cached is None else np.maximum(typical, cached)
        input_tokens = _given(usage.input_tokens, default)
        gpu_j, busy_s = text.request_gpu_j_and_busy_s(
            input_tokens, output_tokens, dep.text, codes, cached
        )
        if not with_steps:
            return Work(gpu_j, busy_s)
        zero = np.zeros(n)
        tokens = _tokens(usage, input_tokens, output_tokens, zero if cached is None else cached)
        return Work(gpu_j, busy_s, [Step(TEXT_STEP, busy_s, np.ones(n))], tokens)
    input_tokens = _zero_if_absent(usage.input_tokens)
    return _mixed_work(usage, dep, codes, errors, input_tokens, output_tokens, with_steps)


TEXT_STEP = "text: prompt processing and token generation"


def _zero_if_absent(values: np.ndarray) -> np.ndarray:
    return _given(values, 0.0)


def _given(value: np.ndarray, default: np.ndarray | float) -> np.ndarray:
    """``value`` where given (finite), else ``default``: ``value`` itself (read only, not a
    copy) when every row gives it."""
    finite = np.isfinite(value)
    return value if finite.all() else np.where(finite, value, default)


def _scatter(n: int, rows: np.ndarray, values: np.ndarray | float) -> np.ndarray:
    out = np.zeros(n)
    out[rows] = values
    return out


def _mixed_work(
    usage: Usage,
    dep: Deployment,
    codes: np.ndarray,
    errors: RowErrors,
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    with_steps: bool,
) -> Work:
    n = usage.n_rows
    method_id = np.array([tasks.METHODS.index(m) for m in dep.method.tolist()], dtype=np.int8)
    row_method = method_id[codes] if len(codes) else np.zeros(0, dtype=np.int8)
    is_text = row_method == tasks.METHODS.index(tasks.TEXT)
    is_image = row_method == tasks.METHODS.index(tasks.IMAGE_GENERATION)
    is_encoder = row_method == tasks.METHODS.index(tasks.ENCODER)
    is_speech = row_method == tasks.METHODS.index(tasks.SPEECH_TO_TEXT)
    coef = dep.text
    images_in = usage.input_images
    audio_in_s = _zero_if_absent(usage.input_audio_seconds)
    audio_out_tokens = _given(
        usage.output_audio_tokens,
        _zero_if_absent(usage.output_audio_seconds) * modalities.AUDIO_OUTPUT_TOKENS_PER_S,
    )
    _check_inputs(usage, errors, is_image, is_encoder, is_speech, input_tokens, audio_in_s)

    # Language models: prompt = text + image tokens + audio tokens; output = text + audio tokens.
    for_text = is_text[images_in.row]
    llm_image_tokens = modalities.per_row(
        images_in.row[for_text],
        modalities.llm_image_tokens(images_in.width_px[for_text], images_in.height_px[for_text]),
        n,
    )
    audio_tokens = _zeros_where(is_text, audio_in_s * modalities.LLM_AUDIO_TOKENS_PER_S)
    generates_tokens = ~(is_image | is_encoder)
    absent = is_text & ~np.isfinite(usage.input_tokens)  # a typical prompt
    text_tokens = np.where(absent, text.TYPICAL_PROMPT_TOKENS, input_tokens)
    prompt = _zeros_where(generates_tokens, text_tokens + llm_image_tokens + audio_tokens)
    output = _zeros_where(
        generates_tokens, output_tokens + np.where(is_speech, 0.0, audio_out_tokens)
    )
    cached = _zeros_where(generates_tokens, _zero_if_absent(usage.input_cached_tokens))
    gpu_j, busy_s = text.request_gpu_j_and_busy_s(prompt, output, coef, codes, cached)
    steps: list[Step] = []
    if with_steps:
        # The prompt's image and audio tokens, listed as their own steps (their prompt-processing
        # time); the text step keeps the rest.
        token_s = coef.prefill_ms_per_token[codes] * 1e-3
        image_s = llm_image_tokens * token_s
        audio_s = audio_tokens * token_s
        steps += [
            Step(TEXT_STEP, busy_s - image_s - audio_s, generates_tokens),
            Step(
                "input images: image tokens in the prompt",
                image_s,
                np.where(is_text, images_in.count, 0),
            ),
            Step("input audio: audio tokens in the prompt", audio_s, audio_tokens > 0),
        ]

    def add(
        description: str,
        rows: np.ndarray,
        energy_j: np.ndarray,
        time_s: np.ndarray,
        inferences: np.ndarray | float,
    ) -> None:
        gpu_j[rows] += energy_j
        busy_s[rows] += time_s
        if with_steps:
            steps.append(
                Step(description, _scatter(n, rows, time_s), _scatter(n, rows, inferences))
            )

    # One forward pass over the input (per deployment: J and s per token).
    for method, mfu, description in (
        (is_encoder, text.PREFILL_MFU, "encoder: one forward pass over the input"),
        (is_speech, modalities.SPEECH_TO_TEXT_MFU, "speech to text: audio encoder"),
    ):
        rows = np.flatnonzero(method)
        if not len(rows):
            continue
        j_per_token = text.forward_energy_per_token_j(
            dep.active_params_billions, dep.gpu_tdp_w, dep.gpu_bf16_tflops, mfu
        )
        s_per_token = (
            dep.batch_size
            * 1e-3
            * text.forward_time_per_token_ms(
                dep.active_params_billions, dep.gpu_count, dep.gpu_bf16_tflops, mfu
            )
        )
        frames = audio_in_s[rows] * modalities.AUDIO_ENCODER_FRAMES_PER_S
        if method is is_encoder:
            mine = is_encoder[images_in.row]
            patches = modalities.per_row(
                images_in.row[mine],
                modalities.vision_encoder_tokens(
                    images_in.width_px[mine], images_in.height_px[mine]
                ),
                n,
            )[rows]
            tokens = input_tokens[rows] + patches + frames
        else:
            tokens = frames
        deployment = codes[rows]
        add(
            description,
            rows,
            tokens * j_per_token[deployment],
            tokens * s_per_token[deployment],
            1.0,
        )
    if is_image.any():
        _add_generation(usage, dep, codes, is_image, add)
    token_counts = _tokens(usage, prompt, output, cached) if with_steps else {}
    return Work(gpu_j, busy_s, steps, token_counts)


def _check_inputs(
    usage: Usage,
    errors: RowErrors,
    is_image: np.ndarray,
    is_encoder: np.ndarray,
    is_speech: np.ndarray,
    input_tokens: np.ndarray,
    audio_in_s: np.ndarray,
) -> None:
    """Rows whose inputs cannot be estimated by their method get an error naming the field."""
    generating = usage.output_images.row
    video = np.flatnonzero(usage.output_video_frames > 0)  # NaN compares False
    if len(video):
        generating = np.concatenate([generating, video])
    errors.add_rows(
        generating[~is_image[generating]],
        "invalid_field",
        "output_images",
        "images or video generated by a model whose task is not image generation are not "
        "estimated: name an image or video model, or task image-generation",
    )
    encoders = np.flatnonzero(is_encoder)
    empty = (
        (input_tokens[encoders] == 0)
        & (usage.input_images.count[encoders] == 0)
        & (audio_in_s[encoders] == 0)
    )
    errors.add_rows(
        encoders[empty],
        "missing_field",
        "input_tokens",
        "this task runs a model over its input: give input_tokens, input_images or "
        "input_audio_seconds",
    )
    speech = np.flatnonzero(is_speech)
    errors.add_rows(
        speech[audio_in_s[speech] == 0],
        "missing_field",
        "input_audio_seconds",
        "speech-to-text needs input_audio_seconds",
    )


def _add_generation(
    usage: Usage,
    dep: Deployment,
    codes: np.ndarray,
    is_image: np.ndarray,
    add: Callable[[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray | float], None],
) -> None:
    """Diffusion parts: each output image, and the video, of image-generation rows."""
    n = usage.n_rows
    image_rows = np.flatnonzero(is_image)
    deployment = codes[image_rows]
    steps = np.full(n, np.nan)
    given_steps = usage.input_steps[image_rows]
    default_steps = dep.default_steps[deployment]
    steps[image_rows] = np.where(
        np.isfinite(given_steps),
        given_steps,
        np.where(np.isfinite(default_steps), default_steps, tasks.DEFAULT_STEPS),
    )
    frames = _zero_if_absent(usage.output_video_frames)
    images_out = usage.output_images
    # Image rows without a video and without listed sizes make one image of the default size.
    implicit = (images_out.count[image_rows] == 0) & (frames[image_rows] == 0)
    default_w = dep.default_width_px[deployment[implicit]]
    default_h = dep.default_height_px[deployment[implicit]]
    listed = is_image[images_out.row]
    rows = np.concatenate([images_out.row[listed], image_rows[implicit]])
    width = np.concatenate(
        [
            images_out.width_px[listed],
            np.where(np.isfinite(default_w), default_w, tasks.DEFAULT_IMAGE_PX),
        ]
    )
    height = np.concatenate(
        [
            images_out.height_px[listed],
            np.where(np.isfinite(default_h), default_h, tasks.DEFAULT_IMAGE_PX),
        ]
    )
    token_based = (
        np.zeros(len(rows), dtype=bool)
        if dep.denoiser is None
        else dep.denoiser.autoregressive[codes[rows]] > 0
    )
    if token_based.any():
        _add_token_images(
            usage, dep, codes, rows[token_based], width[token_based], height[token_based], add
        )
        rows, width, height = rows[~token_based], width[~token_based], height[~token_based]
    if len(rows):
        energy, latency = _image_work(dep, codes[rows], width, height, steps[rows])
        inferences = steps[rows]
        # Listed rows ascend (parse order) and implicit rows have no listed image: when no row
        # lists two images, every image is its own row and needs no summing.
        if not (np.diff(images_out.row[listed]) > 0).all():
            target = np.flatnonzero(np.bincount(rows, minlength=n))
            energy, latency, inferences = (
                modalities.per_row(rows, values, n)[target]
                for values in (energy, latency, inferences)
            )
            rows = target
        add("image generation: denoising steps x images", rows, energy, latency, inferences)
    video = np.flatnonzero(is_image & (frames > 0))
    if len(video):
        lines = usage.output_video_resolution[video]
        given = np.isfinite(lines)
        width_px, height_px = modalities.video_size_px(np.where(given, lines, 0.0))
        fallback_h = np.where(
            np.isfinite(h := dep.default_height_px[codes[video]]), h, tasks.DEFAULT_VIDEO_LINES
        )
        fallback_w = np.where(
            np.isfinite(w := dep.default_width_px[codes[video]]),
            w,
            modalities.video_size_px(fallback_h)[0],
        )
        width_px = np.where(given, width_px, fallback_w)
        height_px = np.where(given, height_px, fallback_h)
        args, extra = _diffusion_args(
            dep, codes[video], width_px, height_px, frames[video], steps[video]
        )
        add(
            "video generation: denoising steps over all frames",
            video,
            diffusion.gpu_energy_j(*args, *extra),
            diffusion.busy_time_s(*args, *extra) * dep.batch_size[codes[video]],
            steps[video],
        )


def _add_token_images(
    usage: Usage,
    dep: Deployment,
    codes: np.ndarray,
    rows: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    add: Callable[[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray | float], None],
) -> None:
    """Token-based (autoregressive) image generators: each row's prompt and the image tokens of
    its images (``image_tokens.output_tokens``) through the text physics of its model."""
    n = usage.n_rows
    tokens = modalities.per_row(rows, image_tokens.output_tokens(width_px, height_px), n)
    target = np.flatnonzero(np.bincount(rows, minlength=n))
    prompt = _zero_if_absent(usage.input_tokens)[target]
    energy, latency = text.request_gpu_j_and_busy_s(prompt, tokens[target], dep.text, codes[target])
    add("image generation: image tokens decoded by the model", target, energy, latency, 1.0)


def _image_work(
    dep: Deployment,
    deployment: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    steps: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy (J) and latency (s) of each image, computed once per distinct (deployment, size,
    steps): a batch holds few distinct image settings."""
    inverse, first = combine_codes(
        [
            (deployment, int(deployment.max(initial=0)) + 1),
            int_codes(width_px),
            int_codes(height_px),
            int_codes(steps),
        ]
    )
    args, extra = _diffusion_args(
        dep,
        deployment[first],
        width_px[first],
        height_px[first],
        np.ones(len(first)),
        steps[first],
    )
    energy = diffusion.gpu_energy_j(*args, *extra)
    latency = diffusion.busy_time_s(*args, *extra) * dep.batch_size[deployment[first]]
    return energy[inverse], latency[inverse]


# The nine positional inputs of diffusion.gpu_energy_j and busy_time_s.
_DiffusionArgs = tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]


def _diffusion_args(
    dep: Deployment,
    deployment: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    frames: np.ndarray,
    steps: np.ndarray,
) -> tuple[_DiffusionArgs, tuple[np.ndarray, diffusion.Denoiser | None]]:
    """Positional arguments of the diffusion functions, and (GPU count, architecture)."""
    args = (
        dep.active_params_billions[deployment],
        width_px,
        height_px,
        frames,
        steps,
        dep.batch_size[deployment],
        dep.gpu_tdp_w[deployment],
        dep.gpu_bf16_tflops[deployment],
        dep.gpu_memory_bandwidth_tbps[deployment],
    )
    denoiser = None if dep.denoiser is None else dep.denoiser.take(deployment)
    return args, (dep.gpu_count[deployment], denoiser)
