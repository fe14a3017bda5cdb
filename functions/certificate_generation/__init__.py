"""Certificate generation: SQS consumer that numbers, renders, signs and stores certificates."""
