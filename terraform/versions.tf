terraform {
  # optional() object attributes and preconditions need >= 1.3; the tests run Terraform 1.15.5.
  required_version = ">= 1.5"

  required_providers {
    google = {
      # The checks of tests/test_terraform.py read the schema of google provider 6.50.0
      # (tests/tools/google_provider_schema.json, scripts/provider_schema.py): 6.x from 6.50 on.
      source  = "hashicorp/google"
      version = "~> 6.50"
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
