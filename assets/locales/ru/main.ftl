# Сообщения интерфейса API на русском языке; резервный язык для всех локалей — английский.
# Количества и цены приходят уже отформатированными для локали; счётные значения — числами (для форм множественного числа).

## Почему продукт рекомендован

reason-protein-gap = Покрывает { $percent } % вашего дефицита белка ({ $gap } г в день).
reason-protein-per-meal = { $grams } г белка после тренировки — доза на один приём пищи, рекомендованная ISSN (0,25–0,4 г/кг). Записывайте, что едите, чтобы подобрать дозу под ваш дефицит белка.
reason-dose = { $amount } { $unit } в день ({ $substance }).
reason-evidence-a = Убедительные доказательства эффективности: { $substance } (AIS, группа A).
reason-evidence-b = Предварительные доказательства эффективности: { $substance } (AIS, группа B).
reason-evidence-c = Мало доказательств эффективности: { $substance } (AIS, группа C).
reason-sport = Особенно подходит для { $sport }.
reason-goal = Соответствует вашей цели: { $goal }.
reason-price-per-day = { $price } в день в самом дешёвом магазине.
reason-not-in-stock = Сейчас нет в наличии ни в одном магазине.

## Почему продукт исключён

exclusion-not-needed = Не требуется: ваше питание или тренировки уже обеспечивают то, для чего это нужно.
exclusion-evidence-d = Содержит вещество { $substance }, которое AIS относит к группе D: оно запрещено спортсменам или имеет высокий риск загрязнения.
exclusion-too-strong = Даже наименьшая порция превысила бы безопасный верхний предел суточного потребления вещества { $substance }.
exclusion-max-servings = Даже наименьшая порция превышает максимальное суточное количество порций.
exclusion-allergen = Содержит аллерген, на который у вас аллергия: { $allergen }.

## Когда принимать

timing-pre_workout = За 30–60 минут до тренировки
timing-well_before_training = За 2–3 часа до тренировки
timing-post_workout = В течение часа после тренировки
timing-during_training = Во время тренировок продолжительностью больше часа
timing-with_meal = Во время еды
timing-daily = Раз в день — и в дни тренировок, и в дни отдыха
timing-doses = { $doses ->
    [1] в один приём
    [one] в { $doses } приём в течение дня
    [few] в { $doses } приёма в течение дня
    [many] в { $doses } приёмов в течение дня
   *[other] в { $doses } приёма в течение дня
}

## Названия, вставляемые в предложения

substance-protein = белок
sport-endurance = видов спорта на выносливость
sport-strength_power = силовых и скоростно-силовых видов спорта
sport-team_sport = командных видов спорта
sport-weight_class_combat = видов спорта с весовыми категориями и единоборств
sport-aesthetic = эстетических видов спорта
sport-general_fitness = общей физической подготовки
goal-mass = набор мышечной массы
goal-cut = снижение жировой массы
goal-maintain = поддержание веса
goal-endurance = выносливость
goal-performance = спортивные результаты
unit-g = г
unit-mg = мг
unit-ug = мкг
unit-iu = МЕ
unit-servings = { $count ->
    [one] порция
    [few] порции
    [many] порций
   *[other] порции
}

## Планы покупок

shopping-not-sold = Нет в продаже ни в одном из рассматриваемых магазинов.
shopping-unsafe = Небезопасно для вас в таком количестве: { $why }
shopping-constraints = Ни один план в пределах разрешённых магазинов не выполняет условие минимального заказа каждого магазина.
shopping-out-of-budget = План не найден в пределах рабочего лимита { $ms } мс; планируйте меньше позиций или магазинов за раз.
shopping-max-stores = Ни один план не позволяет купить всё в { $count ->
    [1] одном магазине
    [one] { $count } магазине
    [few] { $count } магазинах
    [many] { $count } магазинах
   *[other] { $count } магазина
}; разрешите больше магазинов.

## Планы питания

plan-under = { $target }: на { $amount } { $unit } ниже допустимого диапазона ({ $percent } % от цели).
plan-over = { $target }: на { $amount } { $unit } выше допустимого диапазона ({ $percent } % от цели).
target-energy_kcal = Энергия
target-protein_g = Белки
target-carbohydrate_g = Углеводы
target-fat_g = Жиры
target-budget = Стоимость еды
unit-kcal = ккал
unit-rsd = RSD

## Типы продуктов

product-type-protein = Протеин
product-type-creatine = Креатин
product-type-amino = Аминокислоты
product-type-vitamin_mineral = Витамины и минералы
product-type-pre_workout = Предтренировочные комплексы
product-type-post_workout = Послетренировочные комплексы
product-type-carbohydrate = Углеводы
product-type-electrolyte = Электролиты
product-type-fat_burner = Жиросжигатели
product-type-other = Другое

## Уровни рекомендаций

life-stage-pregnancy = Для вещества { $substance } в виде добавки нет данных о безопасности при беременности: спросите врача, прежде чем его принимать.
life-stage-breastfeeding = Для вещества { $substance } в виде добавки нет данных о безопасности при грудном вскармливании: спросите врача, прежде чем его принимать.
life-stage-minor = До 18 лет — только спортивное питание и медицинские добавки: согласно системе AIS, вещество { $substance } предназначено для взрослых спортсменов.
combined-cautions = Это предупреждение суммируется с другими ({ $terms }): вам не подходит.
ask-doctor-question = Спросите врача: подходит ли вам вещество { $substance } по { $amount } { $unit } в день ({ $term })?
exclusion-over-total = Вместе с уже рекомендованными продуктами ({ $products }) суточное количество вещества { $substance } составило бы { $total } { $unit } — больше вашего предела { $limit } { $unit }.
exclusion-stimulant-stack = Содержит стимулятор { $substance }, а продукт «{ $product }» уже содержит стимулятор: никогда не принимайте два стимулятора в один день.
shopping-ask-doctor = Сначала спросите врача: { $why }. После разговора с ним подтвердите продукт, чтобы включить его в план.
shopping-not-confirmed = Для вещества { $substance } в план включаются только продукты, рекомендованные вам или подтверждённые после консультации с врачом.
confirmation-not-needed = Ничто в вашем профиле не требует осторожности с этим продуктом: подтверждение не нужно.
confirmation-not-allowed = Этот продукт вам не подходит, и подтверждение этого не изменит: { $why }
