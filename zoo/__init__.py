"""The keras_gans zoo: one folder per pretrained preset (installed as
``keras_gans.zoo``); load them with ``keras_gans.presets.from_preset(name)``."""
