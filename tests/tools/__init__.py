"""Helpers of the offline checks: provider schema, Terraform, SQL rendering, the emulator."""
