from enum import StrEnum


class Tags(StrEnum):
    classify = "classify"
    search = "search"
    offers = "offers"
    feedback = "feedback"
    staff = "staff"
    labelling = "labelling"
    weighings = "weighings"
    household = "household"
    quality = "quality"
    models = "models"
    health = "health"
