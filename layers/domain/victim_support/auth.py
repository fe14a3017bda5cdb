"""Who is calling: the authorizer claims every staff API request carries.

On AWS the Cognito user pool authorizer puts the claims at ``requestContext.authorizer.claims``;
the local gateway puts the same claims there from a dev token. The municipality always comes from
these claims, never from a request body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

MUNICIPALITY_CLAIM = "custom:municipality_code"
GROUPS_CLAIM = "cognito:groups"
USER_CLAIM = "cognito:username"
SUBJECT_CLAIM = "sub"
OPERATOR_GROUP = "operators"
STAFF_GROUP = "staff"


class Caller(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    username: str
    municipality_code: str | None
    groups: frozenset[str]

    @property
    def is_operator(self) -> bool:
        return OPERATOR_GROUP in self.groups

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        raw_groups = claims.get(GROUPS_CLAIM) or ""
        # API Gateway passes Cognito's list claims as a string such as "[staff operators]" or "a,b".
        if isinstance(raw_groups, str):
            groups = frozenset(g for g in raw_groups.strip("[]").replace(",", " ").split() if g)
        else:
            groups = frozenset(str(g) for g in raw_groups)
        return cls(
            subject=str(claims.get(SUBJECT_CLAIM, "")),
            username=str(claims.get(USER_CLAIM) or claims.get(SUBJECT_CLAIM, "")),
            municipality_code=claims.get(MUNICIPALITY_CLAIM) or None,
            groups=groups,
        )

    def to_claims(self) -> dict[str, str]:
        claims = {SUBJECT_CLAIM: self.subject, USER_CLAIM: self.username,
                  GROUPS_CLAIM: " ".join(sorted(self.groups))}
        if self.municipality_code:
            claims[MUNICIPALITY_CLAIM] = self.municipality_code
        return claims
