"""A history of generated images for the discriminators (Shrivastava et al. 2017,
"Learning from Simulated and Unsupervised Images through Adversarial Training",
§2.3; used by CycleGAN, Zhu et al. 2017 §4).

``pool_query`` is the reference ``ImagePool.query`` of
junyanz/pytorch-CycleGAN-and-pix2pix, image by image in batch order, written as
one pure function of tensors so that it runs inside the compiled training step
of every backend: while the pool is not full an image is stored and shown; once
it is full, with probability 0.5 a random stored image is shown and replaced by
the new one, else the new image is shown. The random numbers come in as
arguments (drawn from the model's seed generator).
"""

from __future__ import annotations

from keras import ops


def pool_query(pool, count, images, swap_u, slot_u):
    """One batch through the pool, exactly as the sequential reference.

    Args:
        pool: ``(P, ...)`` stored images.
        count: scalar int, how many of the P slots are filled.
        images: ``(n, ...)`` new generated images (gradients already stopped).
        swap_u, slot_u: ``(n,)`` uniform [0, 1) numbers: image i swaps with a
            stored one when ``swap_u[i] > 0.5`` (pool full), into slot
            ``floor(slot_u[i] * P)``.

    Returns:
        ``(shown, new_pool, new_count)``: the ``(n, ...)`` images to show the
        discriminator, the updated pool and count.
    """
    size = pool.shape[0]
    n = ops.shape(images)[0]
    idx = ops.arange(n, dtype="int32")
    count = ops.cast(count, "int32")
    filling = (count + idx) < size
    swap = ops.logical_and(ops.logical_not(filling), swap_u > 0.5)
    random_slot = ops.minimum(ops.cast(ops.floor(slot_u * size), "int32"), size - 1)
    slot = ops.where(filling, count + idx, random_slot)
    writes = ops.logical_or(filling, swap)

    # Image i shown from the pool sees the slot as left by earlier images of
    # this batch: the latest j < i that wrote the same slot, else the old pool.
    same = ops.logical_and(
        ops.equal(slot[:, None], slot[None, :]),
        ops.logical_and(writes[None, :], idx[None, :] < idx[:, None]),
    )
    order = ops.cast(same, "int32") * (idx[None, :] + 1)
    latest = ops.argmax(order, axis=1)
    earlier = ops.any(same, axis=1)
    stored = ops.where(
        _expand(earlier, images), ops.take(images, latest, axis=0),
        ops.take(pool, ops.where(writes, slot, 0), axis=0),
    )
    shown = ops.where(_expand(swap, images), stored, images)

    # Each slot ends up holding the last image of the batch that wrote it.
    hits = ops.logical_and(
        ops.equal(slot[:, None], ops.arange(size, dtype="int32")[None, :]), writes[:, None]
    )
    last = ops.argmax(ops.cast(hits, "int32") * (idx[:, None] + 1), axis=0)
    written = ops.any(hits, axis=0)
    new_pool = ops.where(_expand(written, pool), ops.take(images, last, axis=0), pool)
    new_count = ops.minimum(count + n, size)
    return shown, new_pool, new_count


def _expand(mask, like):
    return ops.reshape(mask, (-1,) + (1,) * (len(like.shape) - 1))
