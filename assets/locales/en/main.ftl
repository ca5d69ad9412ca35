# Interface messages of the API, in English (the fallback of every other locale).
# Amounts and prices arrive already formatted for the locale; counts arrive as numbers (plurals).

## Why a product is recommended

reason-protein-gap = Covers { $percent } % of your protein gap of { $gap } g a day.
reason-protein-per-meal = { $grams } g of protein after training, the dose per meal the ISSN advises (0.25–0.4 g/kg). Log what you eat to size it to your protein gap.
reason-dose = { $amount } { $unit } of { $substance } a day.
reason-evidence-a = Strong evidence that { $substance } works (AIS group A).
reason-evidence-b = Emerging evidence for { $substance } (AIS group B).
reason-evidence-c = Little evidence for { $substance } (AIS group C).
reason-sport = Particularly suited to { $sport }.
reason-goal = Fits your goal: { $goal }.
reason-price-per-day = { $price } a day at the cheapest store.
reason-not-in-stock = Not in stock in any store at the moment.

## Why a product is left out

exclusion-not-needed = Not needed: your food or your training already covers what it is for.
exclusion-evidence-d = Contains { $substance }, which the AIS places in group D: banned or at high risk of contamination for athletes.
exclusion-too-strong = Even the smallest serving would go above the safe daily upper limit of { $substance }.
exclusion-max-servings = Even the smallest serving is more than the daily maximum of servings.
exclusion-allergen = Contains { $allergen }, which you are allergic to.

## When to take it

timing-pre_workout = 30–60 minutes before training
timing-well_before_training = 2–3 hours before training
timing-post_workout = Within an hour after training
timing-during_training = During training sessions longer than an hour
timing-with_meal = With a meal
timing-daily = Once a day, on training and rest days alike
timing-doses = { $doses ->
    [one] in one dose
   *[other] split into { $doses } doses through the day
}

## Names used inside sentences

substance-protein = protein
sport-endurance = endurance sports
sport-strength_power = strength and power sports
sport-team_sport = team sports
sport-weight_class_combat = weight-class and combat sports
sport-aesthetic = aesthetic sports
sport-general_fitness = general fitness
goal-mass = gaining muscle mass
goal-cut = losing fat
goal-maintain = keeping your weight
goal-endurance = endurance
goal-performance = performance
unit-g = g
unit-mg = mg
unit-ug = µg
unit-iu = IU
unit-servings = { $count ->
    [one] serving
   *[other] servings
}

## Shopping plans

shopping-not-sold = Not on sale in stock in any of the stores considered.
shopping-unsafe = Not safe for you at this amount: { $why }
shopping-constraints = No plan meets every store's minimum order within the stores allowed.
shopping-out-of-budget = No plan was found within the work limit of { $ms } ms; plan fewer items or stores at a time.
shopping-max-stores = No plan buys everything in { $count ->
    [one] one store
   *[other] { $count } stores
}; allow more stores.

## Meal plans

plan-under = { $target } is { $amount } { $unit } below its range ({ $percent } % of the target).
plan-over = { $target } is { $amount } { $unit } above its range ({ $percent } % of the target).
target-energy_kcal = Energy
target-protein_g = Protein
target-carbohydrate_g = Carbohydrate
target-fat_g = Fat
target-budget = The food cost
unit-kcal = kcal
unit-rsd = RSD

## Product types

product-type-protein = Protein
product-type-creatine = Creatine
product-type-amino = Amino acids
product-type-vitamin_mineral = Vitamins and minerals
product-type-pre_workout = Pre-workout
product-type-post_workout = Post-workout
product-type-carbohydrate = Carbohydrates
product-type-electrolyte = Electrolytes
product-type-fat_burner = Fat burners
product-type-other = Other

## Recommendation tiers

life-stage-pregnancy = No safety data in pregnancy is on record for { $substance } as a supplement: ask your doctor before taking it.
life-stage-breastfeeding = No safety data for breastfeeding is on record for { $substance } as a supplement: ask your doctor before taking it.
life-stage-minor = Under 18, sports foods and medical supplements only: the AIS framework keeps { $substance } for adult athletes.
combined-cautions = Together with { $terms }, these cautions add up: not for you.
ask-doctor-question = Ask your doctor: is { $substance } at { $amount } { $unit } a day right for you with { $term }?
exclusion-over-total = Together with { $products }, the recommended products would add up to { $total } { $unit } of { $substance } a day, above your limit of { $limit } { $unit }.
exclusion-stimulant-stack = Contains { $substance }, a stimulant, and { $product } already has one: never two stimulants in one day.
shopping-ask-doctor = Ask your doctor first: { $why }. After talking to them, confirm the product to plan it.
shopping-not-confirmed = Only products recommended for you, or confirmed after asking your doctor, are planned for { $substance }.
confirmation-not-needed = Nothing in your profile cautions against this product: it needs no confirmation.
confirmation-not-allowed = This product is not for you; a confirmation cannot change that: { $why }
