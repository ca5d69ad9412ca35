# Повідомлення інтерфейсу API українською мовою; резервна мова для всіх локалей — англійська.
# Кількості та ціни надходять уже відформатованими для локалі; лічильні значення — числами (для форм множини).

## Чому продукт рекомендовано

reason-protein-gap = Покриває { $percent } % вашого дефіциту білка ({ $gap } г на день).
reason-protein-per-meal = { $grams } г білка після тренування — доза на один прийом їжі, яку рекомендує ISSN (0,25–0,4 г/кг). Записуйте, що ви їсте, щоб підібрати дозу відповідно до вашого дефіциту білка.
reason-dose = { $amount } { $unit } на день ({ $substance }).
reason-evidence-a = Переконливі докази ефективності: { $substance } (AIS, група A).
reason-evidence-b = Попередні докази ефективності: { $substance } (AIS, група B).
reason-evidence-c = Мало доказів ефективності: { $substance } (AIS, група C).
reason-sport = Особливо підходить для { $sport }.
reason-goal = Відповідає вашій меті: { $goal }.
reason-price-per-day = { $price } на день у найдешевшому магазині.
reason-not-in-stock = Зараз немає в наявності в жодному магазині.

## Чому продукт виключено

exclusion-not-needed = Немає потреби: ваше харчування або тренування вже забезпечують те, для чого це призначено.
exclusion-evidence-d = Містить речовину { $substance }, яку AIS зараховує до групи D: вона заборонена спортсменам або має високий ризик забруднення.
exclusion-too-strong = Навіть найменша порція перевищила б безпечну верхню межу добового споживання речовини { $substance }.
exclusion-max-servings = Навіть найменша порція перевищує максимальну добову кількість порцій.
exclusion-allergen = Містить алерген, на який у вас алергія: { $allergen }.

## Коли приймати

timing-pre_workout = За 30–60 хвилин до тренування
timing-well_before_training = За 2–3 години до тренування
timing-post_workout = Протягом години після тренування
timing-during_training = Під час тренувань тривалістю понад годину
timing-with_meal = Під час їжі
timing-daily = Раз на день — і в дні тренувань, і в дні відпочинку
timing-doses = { $doses ->
    [1] за один прийом
    [one] у { $doses } прийом протягом дня
    [few] у { $doses } прийоми протягом дня
    [many] у { $doses } прийомів протягом дня
   *[other] у { $doses } прийому протягом дня
}

## Назви, що вставляються в речення

substance-protein = білок
sport-endurance = видів спорту на витривалість
sport-strength_power = силових і швидкісно-силових видів спорту
sport-team_sport = командних видів спорту
sport-weight_class_combat = видів спорту з ваговими категоріями та єдиноборств
sport-aesthetic = естетичних видів спорту
sport-general_fitness = загальної фізичної підготовки
goal-mass = набір м'язової маси
goal-cut = зменшення жирової маси
goal-maintain = підтримання ваги
goal-endurance = витривалість
goal-performance = спортивні результати
unit-g = г
unit-mg = мг
unit-ug = мкг
unit-iu = МО
unit-servings = { $count ->
    [one] порція
    [few] порції
    [many] порцій
   *[other] порції
}

## Плани покупок

shopping-not-sold = Немає в продажу в жодному з розглянутих магазинів.
shopping-unsafe = Небезпечно для вас у такій кількості: { $why }
shopping-constraints = Жоден план у межах дозволених магазинів не виконує умову мінімального замовлення кожного магазину.
shopping-out-of-budget = План не знайдено в межах робочого ліміту { $ms } мс; плануйте менше позицій або магазинів за раз.
shopping-max-stores = Жоден план не дає змоги купити все в { $count ->
    [1] одному магазині
    [one] { $count } магазині
    [few] { $count } магазинах
    [many] { $count } магазинах
   *[other] { $count } магазину
}; дозвольте більше магазинів.

## Плани харчування

plan-under = { $target }: на { $amount } { $unit } нижче допустимого діапазону ({ $percent } % від цілі).
plan-over = { $target }: на { $amount } { $unit } вище допустимого діапазону ({ $percent } % від цілі).
target-energy_kcal = Енергія
target-protein_g = Білки
target-carbohydrate_g = Вуглеводи
target-fat_g = Жири
target-budget = Вартість їжі
unit-kcal = ккал
unit-rsd = RSD

## Типи продуктів

product-type-protein = Протеїн
product-type-creatine = Креатин
product-type-amino = Амінокислоти
product-type-vitamin_mineral = Вітаміни та мінерали
product-type-pre_workout = Передтренувальні комплекси
product-type-post_workout = Післятренувальні комплекси
product-type-carbohydrate = Вуглеводи
product-type-electrolyte = Електроліти
product-type-fat_burner = Жироспалювачі
product-type-other = Інше

## Рівні рекомендацій

life-stage-pregnancy = Для речовини { $substance } як добавки немає даних про безпеку під час вагітності: запитайте лікаря, перш ніж її приймати.
life-stage-breastfeeding = Для речовини { $substance } як добавки немає даних про безпеку під час грудного вигодовування: запитайте лікаря, перш ніж її приймати.
life-stage-minor = До 18 років — лише спортивне харчування та медичні добавки: згідно із системою AIS, речовина { $substance } призначена для дорослих спортсменів.
combined-cautions = Це застереження сумується з іншими ({ $terms }): вам не підходить.
ask-doctor-question = Запитайте лікаря: чи підходить вам речовина { $substance } по { $amount } { $unit } на день ({ $term })?
exclusion-over-total = Разом з уже рекомендованими продуктами ({ $products }) добова кількість речовини { $substance } становила б { $total } { $unit } — більше за вашу межу { $limit } { $unit }.
exclusion-stimulant-stack = Містить стимулятор { $substance }, а продукт «{ $product }» уже містить стимулятор: ніколи не приймайте два стимулятори в один день.
shopping-ask-doctor = Спершу запитайте лікаря: { $why }. Після розмови з ним підтвердьте продукт, щоб додати його до плану.
shopping-not-confirmed = Для речовини { $substance } до плану входять лише продукти, рекомендовані вам або підтверджені після консультації з лікарем.
confirmation-not-needed = Ніщо у вашому профілі не застерігає щодо цього продукту: підтвердження не потрібне.
confirmation-not-allowed = Цей продукт вам не підходить, і підтвердження цього не змінить: { $why }
