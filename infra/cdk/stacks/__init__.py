"""Stacks: compose the constructs from the topology."""
