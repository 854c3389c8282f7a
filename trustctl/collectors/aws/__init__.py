"""AWS collectors (boto3): accounts, IAM, and the concurrent runner across account x region x service."""
