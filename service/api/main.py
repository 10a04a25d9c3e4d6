from fastapi import APIRouter

from zerowaste.service.api.routes import classify, feedback, health, search, staff

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(classify.router)
api_router.include_router(search.router)
api_router.include_router(feedback.router)
api_router.include_router(staff.router)
