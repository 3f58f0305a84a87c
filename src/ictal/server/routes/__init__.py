"""HTTP routes, one module per area; each builds an ``APIRouter`` mounted under ``/api``."""
