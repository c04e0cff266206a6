"""What a generator EMA (``ema_decay=``) does to FID at the same steps.

One training run; after every epoch the zoo protocol (10k samples, test split,
the shipped classifier) measures both the trained generator and its moving
average, so the two numbers come from the same steps of the same run.

    KERAS_BACKEND=tensorflow python benchmarks/ema.py dcgan mnist --epochs 3 \\
        --data-dir ../shared/datasets --json benchmarks/results/ema_dcgan_mnist.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time


@contextlib.contextmanager
def trained_network(model):
    """Sample from the trained networks instead of their moving average."""
    decay = model.ema_decay
    model.ema_decay = None
    try:
        yield model
    finally:
        model.ema_decay = decay


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variant")
    p.add_argument("dataset")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    import keras

    from keras_gans.data import EpochShuffled, load
    from keras_gans.metrics import evaluate
    from keras_gans.models import get_variant

    keras.utils.set_random_seed(args.seed)
    x, _ = load(args.dataset, "train", data_dir=args.data_dir)
    model = get_variant(args.variant)(data_shape=x.shape[1:], seed=args.seed,
                                      ema_decay=args.ema_decay)
    model.compile()
    data = EpochShuffled(x, None, batch_size=args.batch_size, seed=args.seed)
    rows, t0 = [], time.time()

    def measure(epoch, logs=None):
        row = {"epoch": epoch + 1, "steps": int(keras.ops.convert_to_numpy(
            model.optimizer.iterations)), "train_seconds": round(time.time() - t0, 1)}
        for label, ctx in (("ema", contextlib.nullcontext(model)),
                           ("trained", trained_network(model))):
            with ctx as m:
                found = evaluate(m, args.dataset, ["fid", "pr"], n=args.n, seed=0)
            for key, value in found.items():
                row[f"{label}_{key}"] = round(float(value), 4)
        rows.append(row)
        print(json.dumps(row), flush=True)

    model.fit(data, epochs=args.epochs, shuffle=False, verbose=2,
              callbacks=[data.callback(), keras.callbacks.LambdaCallback(on_epoch_end=measure)])
    result = {"variant": args.variant, "dataset": args.dataset, "ema_decay": args.ema_decay,
              "batch_size": args.batch_size, "backend": keras.backend.backend(),
              "n": args.n, "rows": rows}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
