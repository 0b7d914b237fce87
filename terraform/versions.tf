terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      # Checked offline against the schema of google provider 6.50.0 (tests/test_terraform.py).
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.9"
    }
  }
}
