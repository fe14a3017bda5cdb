"""Infrastructure: the topology (single source of truth) and its two targets, CDK and local."""
