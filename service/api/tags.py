from enum import StrEnum


class Tags(StrEnum):
    classify = "classify"
    search = "search"
    feedback = "feedback"
    staff = "staff"
    health = "health"
