"""An athlete's flow through the Python client openapi-python-client generated from the served
document (tests/clients/run.sh generates it and runs this against a live node):

    python3 athlete_flow.py BASE_URL CLIENT_PACKAGE_DIR

Registers, enters a health profile, reads the targets, calculates them for other figures, plans a
day, reads the recommendations, plans the cheapest shopping, logs progress and corrects it. Every
call goes through the generated functions and models; every answer must parse into its model.
"""

import datetime
import importlib
import sys
import uuid

# The document's server is /api/v1 on the node.
base_url, package_dir = f"{sys.argv[1]}/api/v1", sys.argv[2]
sys.path.insert(0, package_dir)
client_module = importlib.import_module("sports_nutrition_client")
api = "sports_nutrition_client.api"
models = importlib.import_module("sports_nutrition_client.models")


def call(module, **kwargs):
    """The operation's parsed answer; fails unless it is a 2xx with its model."""
    operation = importlib.import_module(f"{api}.{module}")
    response = operation.sync_detailed(**kwargs)
    status = int(response.status_code)
    if not 200 <= status < 300:
        sys.exit(f"{module}: HTTP {status}: {response.content[:500]!r}")
    if status != 204 and (response.parsed is None or isinstance(response.parsed, models.Problem)):
        sys.exit(f"{module}: HTTP {status} did not parse: {response.content[:500]!r}")
    return response.parsed


anonymous = client_module.Client(base_url=base_url, raise_on_unexpected_status=True)
email = f"athlete-{uuid.uuid4().hex[:8]}@klub.rs"
password = "sarma i podvarak 1987"
registered = call(
    "auth.register",
    client=anonymous,
    body=models.Register.from_dict({"email": email, "password": password, "language": "sr-Cyrl"}),
)
athlete = client_module.AuthenticatedClient(
    base_url=base_url, token=registered.token, raise_on_unexpected_status=True
)
assert registered.user.email == email, registered.user

profile = call(
    "profile.put_health_profile",
    client=athlete,
    body=models.HealthProfileInput.from_dict(
        {
            "birth_date": "1996-04-12",
            "sex": "female",
            "weight_kg": 60,
            "height_cm": 170,
            "activity_level": "moderate",
            "sport": "endurance",
            "training_hours_per_week": 6,
            "goal": "maintain",
        }
    ),
)
assert profile.weight_kg == 60, profile

targets = call("nutrition.get_targets", client=athlete)
assert targets.energy_kcal > 1000 and targets.sources, targets
calculated = call(
    "nutrition.calculate_targets",
    client=athlete,
    body=models.Calculate.from_dict(
        {
            "age": 30,
            "sex": "male",
            "weight_kg": 80,
            "height_cm": 182,
            "activity_level": "active",
            "sport": "strength_power",
            "goal": "mass",
            "training": "hard",
        }
    ),
)
assert calculated.training.value == "hard" and calculated.energy_kcal > targets.energy_kcal

today = datetime.date.today()
plan = call(
    "food.plan_day",
    client=athlete,
    body=models.DailyRequest.from_dict({"date": today.isoformat(), "training_load": "moderate"}),
)
assert plan.dishes and plan.totals.energy_kcal > 0, plan

recommendations = call("supplements.get_recommendations", client=athlete)
assert recommendations.items and recommendations.sources, recommendations
first = recommendations.items[0]
assert first.reasons and first.dose, first
shopping = call(
    "supplements.create_shopping_plan",
    client=athlete,
    body=models.ShoppingRequest.from_dict({"items": [{"product_id": str(first.product.id)}]}),
)
assert shopping.stores and float(shopping.total) > 0, shopping

entry = call(
    "progress.create_progress_entry",
    client=athlete,
    body=models.NewProgressEntry.from_dict(
        {"date": today.isoformat(), "weight_kg": 60.4, "training_load": "moderate"}
    ),
)
assert entry.weight_kg == 60.4, entry
corrected = call(
    "progress.put_progress_entry",
    client=athlete,
    date=today,
    body=models.ProgressValues.from_dict({"weight_kg": 60.2, "body_fat_pct": 21.5}),
)
assert (corrected.weight_kg, corrected.body_fat_pct) == (60.2, 21.5), corrected
listed = call("progress.list_progress", client=athlete)
assert [e.weight_kg for e in listed.entries] == [60.2], listed

me = call("account.get_profile", client=athlete)
assert me.account.email == email
print(f"athlete flow through the generated Python client: {email} ok")
