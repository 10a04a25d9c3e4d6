from fastapi import APIRouter

from zerowaste.service.api.routes import classify, health, search

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(classify.router)
api_router.include_router(search.router)
