"""Onboarding (利用申し込み・導入までの流れ): the seed's schedule for patterns A and B as data, the plan
laid onto the calendar back from the start month, the application registry and the checklist of steps
and milestones that the municipality and the operator (証明書交付センター) share.

``schedule`` is pure (the CLI uses it without AWS); ``repository`` and ``service`` store and audit.
"""
