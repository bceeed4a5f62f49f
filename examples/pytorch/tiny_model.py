"""A tiny PyTorch model for the examples/pytorch walkthrough and its lit test
(test/examples/pytorch.test): a convolution, an MLP head with GELU.
`build()` returns the module and its example inputs, the interface
effc_torch.py takes (`effc_torch.py tiny_model.py:build -o out/`)."""

import torch


class TinyNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc1 = torch.nn.Linear(8 * 8 * 8, 32)
        self.fc2 = torch.nn.Linear(32, 4)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        x = torch.nn.functional.gelu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def build():
    torch.manual_seed(0)
    return TinyNet().eval(), (torch.randn(2, 3, 8, 8),)
