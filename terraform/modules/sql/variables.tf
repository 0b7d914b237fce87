variable "project_id" {
  description = "Project of the store dataset."
  type        = string
}

variable "dataset_id" {
  description = "The store dataset."
  type        = string
}

variable "customer_name" {
  description = "Name of the deployment's own customer (customer 1), created by the seed script."
  type        = string
}

variable "caller_projects" {
  description = "BigQuery projects whose queries use customer 1's custom entries."
  type        = list(string)
}
