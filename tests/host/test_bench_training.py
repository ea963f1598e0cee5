"""The bench's training row (bench/training.py): one TrackGo adapter step at SVD's full width, exact on the meta
device. Checkpointing the UNet's layers cuts the step's peak at about one more forward of FLOPs, and with it a bf16
training step at 14×320×512 fits a 24 GB card (what docs/training.md states)."""

from bench.training import GIB, training_row


def test_checkpointing_cuts_the_training_peak_and_14x320x512_fits_a_24_gb_card(pack):
    row = training_row(pack, 14, 320, 512)
    forward = row.forward
    assert 1.8 < row.step.flops / forward.flops < 2.5  # forward + backward into the activations (not the weights)
    # recomputation: about one more forward
    assert 0.7 < (row.checkpointed.flops - row.step.flops) / forward.flops < 1.3
    assert row.checkpointed.peak_bytes < 0.7 * row.step.peak_bytes
    assert row.memory_gib(row.checkpointed) < 24e9 / GIB
    assert row.unet_parameters > 1.5e9 and row.bytes_per_weight == 2
