# Поруке интерфејса API-ја на српском језику (ћирилица); енглески је резервни језик за сваки локалитет.
# Количине и цене стижу већ форматиране за локалитет; бројеви стижу као бројеви (због облика множине).

## Зашто се производ препоручује

reason-protein-gap = Покрива { $percent } % вашег мањка протеина од { $gap } g дневно.
reason-protein-per-meal = { $grams } g протеина после тренинга – доза по оброку коју препоручује ISSN (0,25–0,4 g/kg). Бележите шта једете како би се доза прилагодила вашем мањку протеина.
reason-dose = { $amount } { $unit } дневно ({ $substance }).
reason-evidence-a = Чврсти докази о делотворности: { $substance } (AIS, група А).
reason-evidence-b = Прелиминарни докази о делотворности: { $substance } (AIS, група Б).
reason-evidence-c = Мало доказа о делотворности: { $substance } (AIS, група Ц).
reason-sport = Посебно погодан избор за { $sport }.
reason-goal = Одговара вашем циљу: { $goal }.
reason-price-per-day = { $price } дневно у најјефтинијој продавници.
reason-not-in-stock = Тренутно нема на стању ни у једној продавници.

## Зашто је производ изостављен

exclusion-not-needed = Није потребно: ваша исхрана или тренинг већ покрива оно чему служи.
exclusion-evidence-d = Садржи састојак { $substance }, који AIS сврстава у групу Д: за спортисте је забрањен или носи висок ризик од контаминације.
exclusion-too-strong = Чак би и најмања порција премашила горњу границу безбедног дневног уноса састојка { $substance }.
exclusion-max-servings = Чак и најмања порција премашује дневни максимум порција.
exclusion-allergen = Садржи алерген на који имате алергију: { $allergen }.

## Када узимати

timing-pre_workout = 30–60 минута пре тренинга
timing-well_before_training = 2–3 сата пре тренинга
timing-post_workout = У року од сат времена после тренинга
timing-during_training = Током тренинга дужих од сат времена
timing-with_meal = Уз оброк
timing-daily = Једном дневно, подједнако у дане тренинга и одмора
timing-doses = { $doses ->
    [1] у једној дози
    [one] подељено на { $doses } дозу током дана
    [few] подељено на { $doses } дозе током дана
   *[other] подељено на { $doses } доза током дана
}

## Називи који се умећу у реченице

substance-protein = протеин
sport-endurance = спортове издржљивости
sport-strength_power = спортове снаге и експлозивности
sport-team_sport = екипне спортове
sport-weight_class_combat = спортове са тежинским категоријама и борилачке спортове
sport-aesthetic = естетске спортове
sport-general_fitness = општи фитнес
goal-mass = повећање мишићне масе
goal-cut = губитак масног ткива
goal-maintain = одржавање телесне тежине
goal-endurance = издржљивост
goal-performance = спортске перформансе
unit-g = g
unit-mg = mg
unit-ug = µg
unit-iu = ИЈ
unit-servings = { $count ->
    [one] порција
    [few] порције
   *[other] порција
}

## Планови куповине

shopping-not-sold = Нема на стању ни у једној од разматраних продавница.
shopping-unsafe = У овој количини није безбедно за вас: { $why }
shopping-constraints = Ниједан план у оквиру дозвољених продавница не испуњава минималну поруџбину сваке продавнице.
shopping-out-of-budget = План није пронађен у оквиру радног ограничења од { $ms } ms; планирајте мање ставки или продавница одједном.
shopping-max-stores = Ниједан план не купује све у { $count ->
    [1] једној продавници
    [one] { $count } продавници
    [few] { $count } продавнице
   *[other] { $count } продавница
}; дозволите више продавница.

## Планови оброка

plan-under = { $target }: { $amount } { $unit } испод дозвољеног опсега ({ $percent } % циља).
plan-over = { $target }: { $amount } { $unit } изнад дозвољеног опсега ({ $percent } % циља).
target-energy_kcal = Енергија
target-protein_g = Протеини
target-carbohydrate_g = Угљени хидрати
target-fat_g = Масти
target-budget = Цена хране
unit-kcal = kcal
unit-rsd = RSD

## Врсте производа

product-type-protein = Протеини
product-type-creatine = Креатин
product-type-amino = Аминокиселине
product-type-vitamin_mineral = Витамини и минерали
product-type-pre_workout = Пре тренинга
product-type-post_workout = После тренинга
product-type-carbohydrate = Угљени хидрати
product-type-electrolyte = Електролити
product-type-fat_burner = Сагоревачи масти
product-type-other = Остало

## Нивои препорука

life-stage-pregnancy = За састојак { $substance } као суплемент нема забележених података о безбедности у трудноћи: питајте лекара пре него што га узмете.
life-stage-breastfeeding = За састојак { $substance } као суплемент нема забележених података о безбедности током дојења: питајте лекара пре него што га узмете.
life-stage-minor = Млађима од 18 година само спортска храна и медицински суплементи: према оквиру Аустралијског института за спорт, састојак { $substance } је намењен одраслим спортистима.
combined-cautions = Ово упозорење се сабира са осталима ({ $terms }): није за вас.
ask-doctor-question = Питајте лекара: да ли вам састојак { $substance } у количини од { $amount } { $unit } дневно одговара ({ $term })?
exclusion-over-total = Заједно са производима { $products } препоручени производи би укупно дали { $total } { $unit } састојка { $substance } дневно, што је изнад ваше границе од { $limit } { $unit }.
exclusion-stimulant-stack = Садржи стимуланс { $substance }, а производ { $product } већ садржи један: никада два стимуланса истог дана.
shopping-ask-doctor = Прво питајте лекара: { $why }. После разговора са лекаром потврдите производ да би ушао у план.
shopping-not-confirmed = За састојак { $substance } планирају се само производи препоручени за вас или потврђени после разговора са лекаром.
confirmation-not-needed = Ништа у вашем профилу не захтева опрез код овог производа: потврда није потребна.
confirmation-not-allowed = Овај производ није за вас и потврда то не може да промени: { $why }
