from enum import StrEnum


class Tags(StrEnum):
    classify = "classify"
    search = "search"
    health = "health"
