"""DynamoDB adapters: the bulk writer and attribute-value helpers."""
