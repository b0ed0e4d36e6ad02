"""Everything made from generated images: the offline sample data sets (drawn cats, dogs and dog breeds),
the fractal images `resnet_mini` was pretrained on, the pretraining script, and `resnet_mini` itself with
its shipped weights. Nothing here is needed to train on real photos.

- `samples`: `ensure_sample`, `make_dogscats`, `make_dogbreeds` (Kaggle layouts, no download);
- `drawing`: the looks, drawing and scenes behind those samples;
- `backbone`: `resnet_mini`, a small torchvision-style ResNet, and its weights file;
- `fractals`, `pretrain`: the generated images and the script that made the weights
  (`python -m course_lib.synthetic.pretrain`).
"""
from .backbone import resnet_mini
from .drawing import BREEDS
from .samples import SAMPLES, ensure_sample, make_dogbreeds, make_dogscats, sample_path

__all__ = ["ensure_sample", "make_dogscats", "make_dogbreeds", "sample_path", "resnet_mini", "BREEDS", "SAMPLES"]
