"""Everything made from generated images: the offline sample data sets (drawn cats, dogs and dog breeds),
the fractal images `resnet_mini` was pretrained on, the pretraining script, and `resnet_mini` itself with
its shipped weights. Nothing here is needed to train on real photos.

- `samples`: `ensure_sample`, `find_sample`, `make_dogscats`, `make_dogbreeds` (Kaggle layouts, no download);
- `drawing`: the looks, drawing and scenes behind those samples;
- `backbone`: `resnet_mini`, a small torchvision-style ResNet, and its weights file;
- `fractals`, `pretrain`: the generated images and the script that made the weights
  (`python -m course_lib.synthetic.pretrain`).
"""
import importlib

# names -> the submodule that defines them, imported on first use (PEP 562): `import course_lib` reaches
# `synthetic.backbone` for resnet_mini and must not pay for the 700 lines of drawing code behind the samples
_WHERE = {"resnet_mini": "backbone", "BREEDS": "drawing", "SAMPLES": "samples", "ensure_sample": "samples",
          "find_sample": "samples", "make_dogbreeds": "samples", "make_dogscats": "samples", "sample_path": "samples"}
__all__ = ["ensure_sample", "find_sample", "make_dogscats", "make_dogbreeds", "sample_path", "resnet_mini", "BREEDS",
           "SAMPLES"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
