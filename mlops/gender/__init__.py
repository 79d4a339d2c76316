"""Training a gender chip classifier for the edge (chips, model, training, ONNX export).

Training chips come from the same face detector and alignment the edge and `ivica eval gender`
use (:mod:`edge_producer.face_crops`), so that what a model learns matches what it sees.
Needs PyTorch (``pip install torch``), which the edge itself does not.
"""
