"""Which estimation method serves each of the API's 31 tasks (docs/methodology.md, §12).

- ``text``: a language model reads a prompt (text, plus image and audio tokens) and generates
  tokens (plus audio tokens): the ML.ENERGY-calibrated text model.
- ``image_generation``: a diffusion model denoises images (and video frames).
- ``encoder``: one forward pass over the input (text tokens, image patches, audio frames):
  embeddings, classification, tagging, detection.
- ``speech_to_text``: an audio encoder over the input seconds, then the transcript's tokens.
- ``audio_generation``: a model generating audio tokens (speech, music).
- ``unsupported``: no public measurement or model of the computation (recommendation, RL,
  anomaly detection, forecasting, clustering): a row error, never a silent zero.
"""

from __future__ import annotations

TEXT = "text"
IMAGE_GENERATION = "image_generation"
ENCODER = "encoder"
SPEECH_TO_TEXT = "speech_to_text"
AUDIO_GENERATION = "audio_generation"
UNSUPPORTED = "unsupported"
METHODS = (TEXT, IMAGE_GENERATION, ENCODER, SPEECH_TO_TEXT, AUDIO_GENERATION, UNSUPPORTED)

TASK_METHOD: dict[str, str] = {
    "text-generation": TEXT,
    "chat": TEXT,
    "summarization": TEXT,
    "translation": TEXT,
    "question-answering": TEXT,
    "image-to-text": TEXT,
    "visual-question-answering": TEXT,
    "multimodal-generation": TEXT,
    "text-to-image": IMAGE_GENERATION,
    "image-generation": IMAGE_GENERATION,
    "style-transfer": IMAGE_GENERATION,
    "text-embedding": ENCODER,
    "text-classification": ENCODER,
    "sentiment-analysis": ENCODER,
    "named-entity-recognition": ENCODER,
    "image-classification": ENCODER,
    "object-detection": ENCODER,
    "image-segmentation": ENCODER,
    "face-detection": ENCODER,
    "facial-recognition": ENCODER,
    "audio-classification": ENCODER,
    "speaker-identification": ENCODER,
    "multimodal-embedding": ENCODER,
    "speech-to-text": SPEECH_TO_TEXT,
    "text-to-speech": AUDIO_GENERATION,
    "music-generation": AUDIO_GENERATION,
    "recommendation-system": UNSUPPORTED,
    "reinforcement-learning": UNSUPPORTED,
    "anomaly-detection": UNSUPPORTED,
    "time-series-forecasting": UNSUPPORTED,
    "clustering": UNSUPPORTED,
}

# Diffusion defaults when neither the row nor the catalog gives them: 50 denoising steps (the
# default num_inference_steps of the diffusers Stable Diffusion pipelines), 1024 x 1024 px
# images, 720-line video.
DEFAULT_STEPS = 50.0
DEFAULT_IMAGE_PX = 1024.0
DEFAULT_VIDEO_LINES = 720.0
