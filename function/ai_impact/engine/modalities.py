"""Inputs and outputs other than text, expressed as what the models compute on.

Images and audio reach a language model as tokens; an encoder (classifier, embedder, vision or
audio model) runs one forward pass over its tokens; a video is frames of a resolution. These
functions turn the logged quantities (image sizes, seconds, frames, lines) into those tokens,
pixels and frames. Vectorised numpy, no I/O. Every conversion cites its source; where none
exists the constant is labelled an assumption, and docs/methodology.md marks the estimates that
rest on it as lower confidence.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ai_impact.engine.columns import Floats

# OpenAI vision input (GPT-4o family, "high" detail): the image is scaled to fit 2048 x 2048,
# then its shortest side to 768 px; it costs 85 tokens plus 170 per 512 px tile (OpenAI platform
# documentation, "Images and vision", section "Calculating costs").
LLM_IMAGE_BASE_TOKENS = 85.0
LLM_IMAGE_TILE_TOKENS = 170.0
LLM_IMAGE_TILE_PX = 512.0
LLM_IMAGE_MAX_SIDE_PX = 2048.0
LLM_IMAGE_SHORT_SIDE_PX = 768.0

# Gemini represents each second of audio as 32 tokens (Google AI for Developers, "Audio
# understanding", section "Technical details"); used for audio given to chat models.
LLM_AUDIO_TOKENS_PER_S = 32.0

# Whisper's encoder turns 30 s of audio into 1,500 frames, 50 per second (Radford et al. 2022,
# "Robust Speech Recognition via Large-Scale Weak Supervision", arXiv:2212.04356, §2.2); also the
# frame rate of wav2vec 2.0 features (Baevski et al. 2020, arXiv:2006.11477): audio encoders.
AUDIO_ENCODER_FRAMES_PER_S = 50.0

# Speech and music generators emit neural-codec tokens at 12.5 to 75 frames per second (Mimi
# 12.5 Hz, Defossez et al. 2024 arXiv:2410.00037; EnCodec 24 kHz 75 Hz, Defossez et al. 2022
# arXiv:2210.13438; MusicGen 50 Hz, Copet et al. 2023 arXiv:2306.05284). Assumption: 50 per
# second of output audio when the log gives seconds and not tokens.
AUDIO_OUTPUT_TOKENS_PER_S = 50.0

# Vision encoders cut images into 16 x 16 px patches (ViT, Dosovitskiy et al. 2021,
# arXiv:2010.11929). Assumption: inputs are first scaled to fit 512 x 512 (classification models
# take 224 px, detection and segmentation 512-1024 px).
VISION_PATCH_PX = 16.0
VISION_MAX_SIDE_PX = 512.0

# Speech recognition runs far below the compute-bound utilisation of large-model prefill. Derived:
# Whisper large-v3-turbo (0.809 B) transcribes 404x real time at batch 32 on one H100 (ML.ENERGY /
# published_figures ASR-1); 50 frames/s of 2 x 0.809 GFLOP at 404 s/s against 989 TFLOP/s peak is
# a utilisation of 50 * 1.618e9 * 404 / 989e12 = 0.033. Lower confidence: one measurement,
# throughput only.
SPEECH_TO_TEXT_MFU = 50.0 * 2.0 * 0.809e9 * 404.0 / 989e12

# Video resolution given in lines (1080 for 1080p) is taken as 16:9.
VIDEO_ASPECT = 16.0 / 9.0


def llm_image_tokens(width_px: Floats, height_px: Floats) -> Floats:
    """Tokens a multimodal language model spends on one input image.

    ``s1 = min(1, 2048 / max(W, H))``; ``s2 = min(1, 768 / min(W, H) / s1)``; then
    ``tokens = 85 + 170 * ceil(W s / 512) * ceil(H s / 512)`` with ``s = s1 * s2``.

    Parameters
    ----------
    width_px, height_px : image size, px.

    Returns
    -------
    Tokens per image.

    References
    ----------
    OpenAI platform documentation, "Images and vision", Calculating costs (GPT-4o, high detail).
    """
    # In place: a batch can hold millions of images.
    scale = np.maximum(width_px, height_px)
    np.divide(LLM_IMAGE_MAX_SIDE_PX, scale, out=scale)
    np.minimum(scale, 1.0, out=scale)  # fit in 2048 x 2048
    short = np.minimum(width_px, height_px)
    short *= scale
    np.divide(LLM_IMAGE_SHORT_SIDE_PX, short, out=short)
    np.minimum(short, 1.0, out=short)
    scale *= short  # then the short side to 768 px
    scale /= LLM_IMAGE_TILE_PX
    tiles = np.ceil(width_px * scale)
    tiles *= np.ceil(height_px * scale)
    tiles *= LLM_IMAGE_TILE_TOKENS
    tiles += LLM_IMAGE_BASE_TOKENS
    return tiles


def vision_encoder_tokens(width_px: Floats, height_px: Floats) -> Floats:
    """Patches a vision encoder processes for one image: the image scaled to fit 512 x 512,
    cut in 16 px patches, ``ceil(W s / 16) * ceil(H s / 16)`` (ViT, arXiv:2010.11929)."""
    scale = np.minimum(1.0, VISION_MAX_SIDE_PX / np.maximum(width_px, height_px))
    return np.ceil(width_px * scale / VISION_PATCH_PX) * np.ceil(
        height_px * scale / VISION_PATCH_PX
    )


def video_size_px(lines: Floats) -> tuple[Floats, Floats]:
    """Width and height of a video given in lines (1080 -> 1920 x 1080), 16:9."""
    return np.round(lines * VIDEO_ASPECT), lines


def per_row(rows: npt.NDArray[np.int64], values: Floats, n_rows: int) -> Floats:
    """Sum of per-item ``values`` for each row (items belong to ``rows``)."""
    # Weighted counts are float64 already: astype does not copy (the stubs type them int).
    return np.bincount(rows, weights=values, minlength=n_rows).astype(np.float64, copy=False)
