variable "project_id" {
  description = "Project of the dataset."
  type        = string
}

variable "dataset_id" {
  description = "Dataset of the routines and tables."
  type        = string
}

variable "connection" {
  description = "BigQuery connection of the remote functions, as PROJECT.LOCATION.CONNECTION_ID."
  type        = string
}

variable "endpoint" {
  description = "HTTPS endpoint of the remote functions."
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
