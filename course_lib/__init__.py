"""course_lib: fast.ai 2018 lesson 2 (tuning an image classifier) on modern PyTorch, CPU-first."""
from torchvision.models import densenet121, resnet18, resnet34, resnet50, resnet101, resnext50_32x4d

from .conv_learner import ConvLearner
from .data import DataLayoutError, ImageClassifierData, get_cv_idxs
from .devices import default_device, set_seed
from .images import BadImageError, open_image, verify_images
from .lang import set_language
from .learner import Callback, CancelFitException, Learner
from .metrics import accuracy, accuracy_np, confusion_matrix, log_loss
from .archs import ARCHS, efficientnet_lite0, efficientnet_lite1, efficientnet_lite2
from .models import WeightsUnavailableError
from .schedules import n_epochs
from .synthetic.backbone import resnet_mini
from .transforms import (CropType, RandomDihedral, RandomFlip, RandomLighting, RandomRotate, denorm,
                         imagenet_stats, tfms_from_model, tfms_from_stats, transforms_basic, transforms_side_on,
                         transforms_top_down)

resnext50 = resnext50_32x4d


__version__ = "0.1.0"
