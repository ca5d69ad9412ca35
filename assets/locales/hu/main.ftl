# Az API felületi üzenetei magyarul; a tartalék nyelv minden nyelvi változatnál az angol.
# A mennyiségek és az árak már a nyelvi beállításnak megfelelően formázva érkeznek; a darabszámok számként (a többes számú alakokhoz).

## Miért ajánljuk a terméket

reason-protein-gap = Fedezi a napi fehérjebeviteledből hiányzó { $gap } g { $percent }%-át.
reason-protein-per-meal = Edzés után { $grams } g fehérje: az ISSN által étkezésenként ajánlott adag (0,25–0,4 g/kg). Rögzítsd, mit eszel, hogy az adagot a fehérjehiányodhoz igazíthassuk.
reason-dose = Napi { $amount } { $unit } { $substance }.
reason-evidence-a = Erős bizonyítékok a hatásosságra: { $substance } (AIS, A csoport).
reason-evidence-b = Kezdeti bizonyítékok a hatásosságra: { $substance } (AIS, B csoport).
reason-evidence-c = Kevés bizonyíték a hatásosságra: { $substance } (AIS, C csoport).
reason-sport = Különösen alkalmas { $sport }.
reason-goal = Megfelel a célodnak: { $goal }.
reason-price-per-day = Napi { $price } a legolcsóbb boltban.
reason-not-in-stock = Jelenleg egyik boltban sincs készleten.

## Miért maradt ki a termék

exclusion-not-needed = Nincs rá szükség: az étrended vagy az edzésed már fedezi azt, amire való.
exclusion-evidence-d = Olyan összetevőt tartalmaz ({ $substance }), amelyet az AIS a D csoportba sorol: sportolók számára tiltott, vagy nagy a szennyezettség kockázata.
exclusion-too-strong = Már a legkisebb adag is túllépné a biztonságos napi felső beviteli határt ({ $substance }).
exclusion-max-servings = Már a legkisebb adag is több a napi maximális adagszámnál.
exclusion-allergen = Olyan allergént tartalmaz, amelyre allergiás vagy: { $allergen }.

## Mikor vedd be

timing-pre_workout = Edzés előtt 30–60 perccel
timing-well_before_training = Edzés előtt 2–3 órával
timing-post_workout = Edzés után egy órán belül
timing-during_training = Egy óránál hosszabb edzések alatt
timing-with_meal = Étkezés közben
timing-daily = Naponta egyszer, edzés- és pihenőnapokon egyaránt
timing-doses = { $doses ->
    [one] egy részletben
   *[other] a nap folyamán { $doses } részletre elosztva
}

## Mondatokba illesztett nevek

substance-protein = fehérje
sport-endurance = állóképességi sportokhoz
sport-strength_power = erő- és gyorserősportokhoz
sport-team_sport = csapatsportokhoz
sport-weight_class_combat = súlycsoportos sportokhoz és küzdősportokhoz
sport-aesthetic = esztétikai sportokhoz
sport-general_fitness = általános fitneszedzéshez
goal-mass = izomtömeg-növelés
goal-cut = zsírvesztés
goal-maintain = testsúly megtartása
goal-endurance = állóképesség
goal-performance = teljesítmény
unit-g = g
unit-mg = mg
unit-ug = µg
unit-iu = NE
unit-servings = { $count ->
    [one] adag
   *[other] adag
}

## Vásárlási tervek

shopping-not-sold = A figyelembe vett boltok egyikében sincs készleten.
shopping-unsafe = Ebben a mennyiségben nem biztonságos számodra: { $why }
shopping-constraints = Az engedélyezett boltokkal egyik terv sem teljesíti minden bolt minimális rendelési értékét.
shopping-out-of-budget = A(z) { $ms } ms munkakorláton belül nem született terv; tervezzen egyszerre kevesebb tételt vagy boltot.
shopping-max-stores = Egyik tervvel sem lehet mindent beszerezni { $count ->
    [one] egyetlen boltból
   *[other] { $count } boltból
}; engedélyezz több boltot.

## Étrendek

plan-under = { $target }: { $amount } { $unit } a tartomány alatt (a cél { $percent } %-a).
plan-over = { $target }: { $amount } { $unit } a tartomány felett (a cél { $percent } %-a).
target-energy_kcal = Energia
target-protein_g = Fehérje
target-carbohydrate_g = Szénhidrát
target-fat_g = Zsír
target-budget = Az étel ára
unit-kcal = kcal
unit-rsd = RSD

## Terméktípusok

product-type-protein = Fehérjék
product-type-creatine = Kreatin
product-type-amino = Aminosavak
product-type-vitamin_mineral = Vitaminok és ásványi anyagok
product-type-pre_workout = Edzés előtti termékek
product-type-post_workout = Edzés utáni termékek
product-type-carbohydrate = Szénhidrátok
product-type-electrolyte = Elektrolitok
product-type-fat_burner = Zsírégetők
product-type-other = Egyéb

## Ajánlási szintek

life-stage-pregnancy = Nincs nyilvántartott adat arról, hogy étrend-kiegészítőként biztonságos-e terhesség alatt: { $substance }. Kérdezze meg orvosát, mielőtt szedné.
life-stage-breastfeeding = Nincs nyilvántartott adat arról, hogy étrend-kiegészítőként biztonságos-e szoptatás alatt: { $substance }. Kérdezze meg orvosát, mielőtt szedné.
life-stage-minor = 18 év alatt csak sportélelmiszerek és orvosi célú kiegészítők jöhetnek szóba: az AIS-keretrendszer ezt az összetevőt ({ $substance }) felnőtt sportolóknak tartja fenn.
combined-cautions = Ez a figyelmeztetés összeadódik a többivel ({ $terms }): nem ajánlott szednie.
ask-doctor-question = Kérdezze meg orvosát: szedhet-e napi { $amount } { $unit } mennyiségben ebből: { $substance }, tekintettel erre: { $term }?
exclusion-over-total = A többi ajánlott termékkel együtt ({ $products }) napi { $total } { $unit } jönne össze ebből: { $substance }, ami meghaladja határértékét ({ $limit } { $unit }).
exclusion-stimulant-stack = Serkentőt tartalmaz ({ $substance }), és ebben már van egy: { $product }. Egy napon soha ne szedjen két serkentőt.
shopping-ask-doctor = Előbb kérdezze meg orvosát: { $why }. Miután beszélt vele, erősítse meg a terméket, hogy bekerülhessen a tervbe.
shopping-not-confirmed = Ehhez az összetevőhöz csak a profilja alapján ajánlott, vagy az orvosával való egyeztetés után megerősített termékek kerülnek a tervbe: { $substance }.
confirmation-not-needed = A profiljában semmi nem int óvatosságra ezzel a termékkel kapcsolatban: nem kell megerősíteni.
confirmation-not-allowed = Ezt a terméket nem ajánlott szednie, és ezen egy megerősítés sem változtathat: { $why }
