from fastapi import APIRouter

from zerowaste.service.api.routes import (
    classify,
    feedback,
    health,
    household,
    labelling,
    models,
    offers,
    pilot_staff,
    quality,
    search,
    staff,
    weighings,
)

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(classify.router)
api_router.include_router(search.router)
api_router.include_router(offers.router)
api_router.include_router(feedback.router)
api_router.include_router(staff.router)
api_router.include_router(pilot_staff.router)
api_router.include_router(labelling.router)
api_router.include_router(weighings.router)
api_router.include_router(household.router)
api_router.include_router(quality.staff)
api_router.include_router(quality.public)
api_router.include_router(models.staff)
api_router.include_router(models.devices)
