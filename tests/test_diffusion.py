"""The image/video-generation energy model: one physics, calibration reproducibility, accuracy
against ML.ENERGY measurements (one and several GPUs), and sanity outside the data."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict

import numpy as np
import pytest

from ai_impact.calibration import fit_diffusion
from ai_impact.engine import diffusion

H100 = (700.0, 989.0, 3.35)  # TDP W, dense BF16 TFLOP/s, TB/s (catalog h100)
B200 = (1000.0, 2250.0, 8.0)
A100_40GB = (400.0, 312.0, 1.555)
SPECS = {"l4": (72.0, 121.0, 0.3), "h100": H100, "b200": B200, "k80": (150.0, 4.4, 0.24)}


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(fit_diffusion.COEFFICIENTS_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def refit() -> diffusion.Coefficients:
    return fit_diffusion.fit()


@pytest.fixture(scope="module")
def errors(refit: diffusion.Coefficients) -> dict:
    return fit_diffusion.lomo_errors(coef=refit)


def _call(func, params, width, height, frames, steps, batch=1.0, gpu=H100, gpus=1.0, spec=""):
    cols = np.broadcast_arrays(
        *(
            np.asarray(v, dtype=np.float64)
            for v in (params, width, height, frames, steps, batch, gpus)
        )
    )
    n = cols[0].size
    flat = [c.ravel().copy() for c in cols]
    specs = [np.full(n, v) for v in gpu]
    arch = diffusion.denoiser_columns([spec] * n)
    return func(*flat[:6], *specs, flat[6], arch)


def _energy(*args, **kw) -> float:
    return float(_call(diffusion.gpu_energy_j, *args, **kw)[0])


# ------------------------------------------------------------------------ one physics ----
def test_refit_reproduces_the_committed_coefficients(
    committed: dict, refit: diffusion.Coefficients
) -> None:
    assert committed["data_sha256"] == fit_diffusion.data_sha256()
    assert committed["script_version"] == fit_diffusion.SCRIPT_VERSION
    for key, value in asdict(refit).items():
        assert committed["coefficients"][key] == pytest.approx(value, rel=2e-3), key
    # The engine runs on the committed file.
    assert asdict(diffusion.COEFFICIENTS) == committed["coefficients"]


def test_committed_errors_are_the_script_output(committed: dict, errors: dict) -> None:
    for k in ("energy", "time"):
        for label, e in errors[k].items():
            for kind in ("insample", "lomo"):
                assert committed["errors"][k][label][kind] == pytest.approx(e[kind], abs=0.01), (
                    k,
                    label,
                    kind,
                )


def test_shipped_data_keeps_sources_and_every_model_is_described() -> None:
    with open(fit_diffusion.DATA_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 825
    assert {r["num_gpus"] for r in rows} == {"1", "2", "4", "8"}
    assert all(r["source"].startswith("https://github.com/ml-energy/") for r in rows)
    models = {r["model_id"] for r in rows}
    assert models == set(fit_diffusion.MODEL_PARAMS) == set(fit_diffusion.ARCHITECTURES)
    assert all(src for _, src, _ in fit_diffusion.MODEL_PARAMS.values())
    assert all(src for _, src in fit_diffusion.ARCHITECTURES.values())
    assert {r["model_id"] for r in rows if not r["width"]} == set(fit_diffusion.V2_RESOLUTION)


def test_gpu_specs_come_from_the_catalog_aliases() -> None:
    specs = fit_diffusion.load_gpu_specs()
    assert specs["H100-SXM5-80GB"]["tdp_w"] == 700.0
    assert specs["B200"]["bf16_dense_tflops"] == 2250.0
    assert specs["A100-SXM4-40GB"]["bf16_dense_tflops"] == 312.0


def test_catalog_generation_methods_parse_and_match_the_fit() -> None:
    path = fit_diffusion.PROJECT_GPUS_CSV.with_name("models.csv")
    with open(path, newline="", encoding="utf-8") as f:
        catalog = {r["hugging_face_path"]: r["generation_method"] for r in csv.DictReader(f)}
    for model_id, (spec, _) in fit_diffusion.ARCHITECTURES.items():
        if model_id in catalog:
            assert catalog[model_id] == spec, model_id
    for spec in catalog.values():
        diffusion.parse_method(spec)


def test_bad_generation_method_names_the_problem() -> None:
    for spec, word in (
        ("diffusion-lstm", "expected one of"),
        ("diffusion-transformer;patch=2", "unknown option"),
        ("diffusion-transformer;guidance_passes=two", "not a number"),
        ("diffusion-transformer;guidance_passes=0", "positive"),
    ):
        with pytest.raises(ValueError, match=word):
            diffusion.parse_method(spec)
    assert diffusion.parse_method("")["method"] == "diffusion-transformer"


# ------------------------------------------------------------------------------ accuracy ----
def test_lomo_errors_within_target(errors: dict) -> None:
    # Issue 10.7: leave-one-model-out median <= x1.3 and p90 <= x2 on images, videos and the
    # multi-GPU rows (reached: images 1.16 / 1.60, videos 1.10 / 1.38, multi-GPU 1.13 / 1.48).
    for label in ("image", "video", "multi_gpu"):
        median, p90 = errors["energy"][label]["lomo"]
        assert median <= 1.3 and p90 <= 2.0, label
        assert errors["time"][label]["lomo"][0] <= 1.3, label
    assert np.isfinite(errors["lomo_pred_energy"]).all()
    assert np.isfinite(errors["lomo_pred_time"]).all()


# Published figures (published_figures.csv; H100, batch 1, GPU only), all in the training data:
# engine and leave-one-model-out predictions must be within x1.5.
PUBLISHED = [
    # case, model_id, W, H, frames, steps, J
    ("MLE-IMG-1", "stabilityai/stable-diffusion-xl-base-1.0", 1024, 1024, 1, 25, 969.36),
    ("MLE-IMG-2", "black-forest-labs/FLUX.1-dev", 1024, 1024, 1, 50, 7948.6),
    ("MLE-VID-1", "Wan-AI/Wan2.1-T2V-14B-Diffusers", 832, 480, 81, 50, 289_253.0),
    ("MLE-VID-2", "tencent/HunyuanVideo", 1280, 720, 129, 50, 1_164_112.0),
]


@pytest.mark.parametrize(("case", "model_id", "w", "h", "f", "s", "joules"), PUBLISHED)
def test_published_figures(
    errors: dict, case: str, model_id: str, w: int, h: int, f: int, s: int, joules: float
) -> None:
    p = fit_diffusion.MODEL_PARAMS[model_id][0]
    spec = fit_diffusion.ARCHITECTURES[model_id][0]
    assert 1 / 1.5 <= _energy(p, w, h, f, s, spec=spec) / joules <= 1.5, case
    rows = fit_diffusion.load_rows()
    i = next(
        i
        for i, r in enumerate(rows)
        if r["model_id"] == model_id
        and r["gpu"] == "H100-SXM5-80GB"
        and r["batch_size"] == "1"
        and r["num_gpus"] == "1"
    )
    assert float(rows[i]["energy_per_output_J"]) == pytest.approx(joules, rel=1e-3)
    assert 1 / 1.5 <= errors["lomo_pred_energy"][i] / joules <= 1.5, case


def test_held_out_cogvideox_2b() -> None:
    # MLE-VID-4: CogVideoX-2b, 720x480, 49 frames, 50 steps, H100: 28,615 J. Not in the fit.
    # Published config (THUDM/CogVideoX-2b transformer: 30 layers, 30 heads x 64 = 1920).
    spec = "diffusion-transformer;hidden_size=1920;attention_layers=30"
    assert 1 / 1.3 <= _energy(2.0, 720, 480, 49, 50, spec=spec) / 28_615.0 <= 1.3
    # With only its size known (defaults of a diffusion transformer): within x2.
    assert 1 / 2 <= _energy(2.0, 720, 480, 49, 50) / 28_615.0 <= 2


def test_b200_and_a100_follow_their_measurements() -> None:
    # FLUX.1-dev on B200 (MLE-IMG-2): 6,679 J; SDXL on A100-40GB (v2): 1,104 J.
    flux = fit_diffusion.ARCHITECTURES["black-forest-labs/FLUX.1-dev"][0]
    assert 1 / 1.3 <= _energy(12.0, 1024, 1024, 1, 50, gpu=B200, spec=flux) / 6678.8 <= 1.3
    sdxl = _energy(2.6, 1024, 1024, 1, 25, gpu=A100_40GB, spec="diffusion-unet")
    assert 1 / 1.5 <= sdxl / 1104.1 <= 1.5


def test_gpu_count_enters_the_energy() -> None:
    # FLUX.1-dev, H100, batch 1: 7,949 J on 1 GPU; 8 GPUs (xDiT, 4 configurations): 13.0-18.1 kJ.
    flux = fit_diffusion.ARCHITECTURES["black-forest-labs/FLUX.1-dev"][0]
    e = _call(diffusion.gpu_energy_j, 12.0, 1024.0, 1024.0, 1.0, 50.0, gpus=[1, 2, 4, 8], spec=flux)
    assert np.all(np.diff(e) > 0)
    assert 13_015 / 1.3 <= e[3] <= 18_109 * 1.3
    t = _call(diffusion.busy_time_s, 12.0, 1024.0, 1024.0, 1.0, 50.0, gpus=[1, 8], spec=flux)
    assert 5.1 / 1.3 <= t[1] <= 7.9 * 1.3  # measured latency on 8 GPUs: 5.1-7.9 s
    assert t[1] < t[0]


# ------------------------------------------------------------------------------ behaviour ----
def test_monotone_and_finite_over_extremes() -> None:
    px = np.array([1.0, 64.0, 512.0, 1024.0, 1025.0, 2048.0, 9999.0])
    frames = np.array([1.0, 2.0, 16.0, 81.0, 129.0, 130.0, 1000.0, 1e5])
    steps = np.array([1.0, 4.0, 50.0, 1000.0, 10_000.0])
    batch = np.array([1.0, 2.0, 16.0, 4096.0])
    for spec in ("", "diffusion-unet", "diffusion-transformer;linear_attention=1"):
        for gpu in SPECS.values():
            for func in (diffusion.gpu_energy_j, diffusion.busy_time_s):
                for p in (0.1, 2.6, 14.0, 100.0):
                    kw = {"gpu": gpu, "spec": spec}
                    by_px = _call(func, p, px, px, 1.0, 50.0, **kw)
                    by_w = _call(func, p, px, 480.0, 81.0, 50.0, **kw)
                    by_frames = _call(func, p, 9999.0, 9999.0, frames, 10_000.0, **kw)
                    by_steps = _call(func, p, 832.0, 480.0, 81.0, steps, **kw)
                    by_batch = _call(func, p, 1.0, 1.0, 1.0, 1.0, batch, **kw)
                    for out in (by_px, by_w, by_frames, by_steps, by_batch):
                        assert np.isfinite(out).all() and (out >= 0).all(), func.__name__
                    for out in (by_px, by_w, by_frames, by_steps):
                        assert np.all(np.diff(out) >= 0), func.__name__
                    assert np.all(np.diff(by_batch) <= 0), func.__name__
                params = np.array([0.1, 1.0, 10.0, 100.0])
                by_params = _call(func, params, 1024.0, 1024.0, 1.0, 50.0, spec=spec)
                assert np.all(np.diff(by_params) > 0)


def test_attention_makes_long_videos_grow_faster_than_frames() -> None:
    # Transformers attend over all latent frames: doubling the frames more than doubles the
    # work (Delavande et al. 2025, arXiv:2509.19222: quadratic growth in frames).
    wan = fit_diffusion.ARCHITECTURES["Wan-AI/Wan2.1-T2V-14B-Diffusers"][0]
    e = _call(diffusion.gpu_energy_j, 14.0, 832.0, 480.0, [81.0, 161.0], 50.0, 1e9, spec=wan)
    assert e[1] / e[0] > 2.2
    steps = _call(diffusion.gpu_energy_j, 12.0, 1024.0, 1024.0, 1.0, [25.0, 50.0], 1e9)
    assert 1.9 < steps[1] / steps[0] <= 2.0  # linear in steps, plus one VAE decode


def test_guidance_and_latent_compression_change_the_work() -> None:
    base = _energy(2.0, 1024, 1024, 1, 28, batch=64)
    one_pass = _energy(
        2.0, 1024, 1024, 1, 28, batch=64, spec="diffusion-transformer;guidance_passes=1"
    )
    dcae = _energy(
        2.0, 1024, 1024, 1, 28, batch=64, spec="diffusion-transformer;pixels_per_token=1024"
    )
    assert 0.45 < one_pass / base < 0.6
    assert dcae < 0.3 * base


def test_batching_lowers_energy_per_output_most_for_small_work() -> None:
    batch = np.array([1.0, 64.0])
    small = _call(
        diffusion.gpu_energy_j, 0.86, 512.0, 512.0, 1.0, 25.0, batch, spec="diffusion-unet"
    )
    big = _call(diffusion.gpu_energy_j, 14.0, 832.0, 480.0, 81.0, 50.0, batch)
    assert small[0] / small[1] > 1.3  # ML.ENERGY v2 openjourney H100: x1.8
    assert big[0] / big[1] < 1.01


def test_other_accelerators_are_sensible() -> None:
    for gpu in SPECS.values():
        for n in (1.0, 8.0):
            e = _call(diffusion.gpu_energy_j, 2.6, 1024.0, 1024.0, 1.0, 25.0, gpu=gpu, gpus=n)
            t = _call(diffusion.busy_time_s, 2.6, 1024.0, 1024.0, 1.0, 25.0, gpu=gpu, gpus=n)
            # Average power never above the replica's TDP; energy within x10 of the H100 value.
            assert e[0] <= n * gpu[0] * t[0] * (1 + 1e-12)
            assert 0.1 < e[0] / _energy(2.6, 1024, 1024, 1, 25) < 10.0


def test_zero_work_and_vector_shapes() -> None:
    assert _call(diffusion.gpu_energy_j, 12.0, 1024.0, 1024.0, 1.0, 0.0)[0] == 0.0
    n = 5
    out = _call(diffusion.gpu_energy_j, np.full(n, 12.0), 1024.0, 1024.0, 1.0, 50.0)
    assert out.shape == (n,) and out.dtype == np.float64


# ------------------------------------------------ token-based (autoregressive) images ----
def test_image_token_table_matches_openai() -> None:
    # OpenAI image generation guide (gpt-image-1): 1024x1536 low/medium/high 408/1584/6240,
    # 1536x1024 400/1568/6208; the per-area rule reproduces them within 2%.
    from ai_impact.engine import image_tokens

    for quality, portrait, landscape in (
        ("low", 408, 400),
        ("medium", 1584, 1568),
        ("high", 6240, 6208),
    ):
        p = image_tokens.output_tokens(np.array([1024.0]), np.array([1536.0]), quality)[0]
        q = image_tokens.output_tokens(np.array([1536.0]), np.array([1024.0]), quality)[0]
        assert p == pytest.approx(portrait, rel=0.02) and q == pytest.approx(landscape, rel=0.02)


def test_gpt_image_1_decodes_image_tokens_through_the_text_physics() -> None:
    import ai_impact

    image, two, tall, as_text, flux = ai_impact.estimate(
        [
            {"model_id": "gpt-image-1", "output_images": ["1024x1024"], "input_tokens": 50},
            {"model_id": "gpt-image-1", "output_images": ["1024x1024"] * 2, "input_tokens": 50},
            {"model_id": "gpt-image-1", "output_images": ["1024x1536"], "input_tokens": 50},
            {
                "model_id": "gpt-image-1",
                "task": "text-generation",
                "input_tokens": 50,
                "output_tokens": 1056,
            },
            {"model_id": "flux-dev", "output_images": ["1024x1024"]},
        ],
        debug=True,
    )
    wh = [r["inference_impact"]["usage_energy_wh"] for r in (image, two, tall, as_text, flux)]
    assert all(r["error"] is None for r in (image, two, tall, as_text, flux))
    # Medium quality 1024x1024 = 1,056 image tokens decoded by the model, as 1,056 text tokens.
    assert wh[0] == pytest.approx(wh[3], rel=1e-9)
    assert wh[0] < wh[2] < wh[1] < 2.2 * wh[0]
    assert image["debug"]["steps"][0]["description"].startswith("image generation: image tokens")
    # Of the order of a diffusion image of comparable quality (FLUX.1-dev), not 50 passes of a
    # 440 B model (55.8 Wh before, issue 18).
    assert 0.2 < wh[0] / wh[4] < 5.0


def test_a_bad_catalog_generation_method_is_a_row_error(tmp_path) -> None:
    import shutil

    import ai_impact
    from ai_impact import catalog

    shutil.copytree(catalog.DATA_DIR, tmp_path, dirs_exist_ok=True)
    models = tmp_path / "models.csv"
    lines = models.read_text(encoding="utf-8").split("\n")
    flux = next(i for i, line in enumerate(lines) if line.startswith("flux_1_dev,"))
    lines[flux] = lines[flux].rsplit(",", 1)[0] + ",diffusion-lstm"
    models.write_text("\n".join(lines), encoding="utf-8")
    bad, good = ai_impact.estimate(
        [
            {"model_id": "flux-dev", "output_images": ["1024x1024"]},
            {"model_id": "sdxl", "output_images": ["1024x1024"]},
        ],
        catalog=catalog.load(tmp_path),
    )
    assert bad["error"]["code"] == "invalid_field"
    assert "generation_method" in bad["error"]["message"]
    assert good["error"] is None and good["inference_impact"]["usage_energy_wh"] > 0
