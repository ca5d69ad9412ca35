# Mesajele interfeței API, în limba română; engleza este limba de rezervă pentru orice altă limbă.
# Cantitățile și prețurile sosesc deja formatate pentru limba respectivă; numărătorile sosesc ca numere (pentru formele de plural).

## De ce este recomandat un produs

reason-protein-gap = Acoperă { $percent } % din deficitul tău zilnic de proteine, de { $gap } g.
reason-protein-per-meal = { $grams } g de proteine după antrenament, doza recomandată de ISSN pentru o masă (0,25–0,4 g/kg). Înregistrează ce mănânci ca să putem ajusta doza în funcție de deficitul tău de proteine.
reason-dose = { $amount } { $unit } de { $substance } pe zi.
reason-evidence-a = Dovezi solide de eficacitate: { $substance } (AIS, grupa A).
reason-evidence-b = Dovezi preliminare de eficacitate: { $substance } (AIS, grupa B).
reason-evidence-c = Puține dovezi de eficacitate: { $substance } (AIS, grupa C).
reason-sport = Potrivit în special pentru { $sport }.
reason-goal = Se potrivește obiectivului tău: { $goal }.
reason-price-per-day = { $price } pe zi la cel mai ieftin magazin.
reason-not-in-stock = Momentan nu este în stoc în niciun magazin.

## De ce este exclus un produs

exclusion-not-needed = Nu este necesar: alimentația sau antrenamentul tău acoperă deja nevoia la care răspunde.
exclusion-evidence-d = Conține substanța { $substance }, pe care AIS o încadrează în grupa D: interzisă sportivilor sau cu risc ridicat de contaminare.
exclusion-too-strong = Chiar și cea mai mică porție ar depăși limita superioară zilnică sigură pentru { $substance }.
exclusion-max-servings = Chiar și cea mai mică porție depășește numărul maxim zilnic de porții.
exclusion-allergen = Conține un alergen la care ai alergie: { $allergen }.

## Când se ia

timing-pre_workout = Cu 30–60 de minute înainte de antrenament
timing-well_before_training = Cu 2–3 ore înainte de antrenament
timing-post_workout = În prima oră după antrenament
timing-during_training = În timpul antrenamentelor mai lungi de o oră
timing-with_meal = În timpul mesei
timing-daily = O dată pe zi, atât în zilele de antrenament, cât și în cele de odihnă
timing-doses = { $doses ->
    [one] într-o singură doză
    [few] în { $doses } doze repartizate pe parcursul zilei
   *[other] în { $doses } de doze repartizate pe parcursul zilei
}

## Denumiri folosite în interiorul propozițiilor

substance-protein = proteine
sport-endurance = sporturi de anduranță
sport-strength_power = sporturi de forță și putere
sport-team_sport = sporturi de echipă
sport-weight_class_combat = sporturi pe categorii de greutate și sporturi de luptă
sport-aesthetic = sporturi estetice
sport-general_fitness = fitness general
goal-mass = creșterea masei musculare
goal-cut = reducerea grăsimii corporale
goal-maintain = menținerea greutății
goal-endurance = anduranța
goal-performance = performanța sportivă
unit-g = g
unit-mg = mg
unit-ug = µg
unit-iu = UI
unit-servings = { $count ->
    [one] porție
    [few] porții
   *[other] de porții
}

## Planuri de cumpărături

shopping-not-sold = Nu este disponibil la vânzare în niciunul dintre magazinele luate în calcul.
shopping-unsafe = Nu este sigur pentru tine în această cantitate: { $why }
shopping-constraints = În limita magazinelor permise, niciun plan nu respectă comanda minimă a fiecărui magazin.
shopping-out-of-budget = Niciun plan nu a fost găsit în limita de lucru de { $ms } ms; planificați mai puține produse sau magazine odată.
shopping-max-stores = Niciun plan nu cumpără totul din { $count ->
    [one] un singur magazin
    [few] { $count } magazine
   *[other] { $count } de magazine
}; permite mai multe magazine.

## Planuri de mese

plan-under = { $target }: cu { $amount } { $unit } sub interval ({ $percent } % din țintă).
plan-over = { $target }: cu { $amount } { $unit } peste interval ({ $percent } % din țintă).
target-energy_kcal = Energie
target-protein_g = Proteine
target-carbohydrate_g = Carbohidrați
target-fat_g = Grăsimi
target-budget = Costul mâncării
unit-kcal = kcal
unit-rsd = RSD

## Tipuri de produse

product-type-protein = Proteine
product-type-creatine = Creatină
product-type-amino = Aminoacizi
product-type-vitamin_mineral = Vitamine și minerale
product-type-pre_workout = Pre-antrenament
product-type-post_workout = Post-antrenament
product-type-carbohydrate = Carbohidrați
product-type-electrolyte = Electroliți
product-type-fat_burner = Arzătoare de grăsimi
product-type-other = Altele

## Niveluri de recomandare

life-stage-pregnancy = Pentru substanța { $substance } ca supliment nu există date de siguranță înregistrate în sarcină: întrebați medicul înainte de administrare.
life-stage-breastfeeding = Pentru substanța { $substance } ca supliment nu există date de siguranță înregistrate în perioada de alăptare: întrebați medicul înainte de administrare.
life-stage-minor = Sub 18 ani, doar alimente sportive și suplimente medicale: cadrul AIS rezervă substanța { $substance } sportivilor adulți.
combined-cautions = Acest avertisment se cumulează cu celelalte ({ $terms }): nu este pentru dumneavoastră.
ask-doctor-question = Întrebați medicul: este potrivită pentru dumneavoastră substanța { $substance } în doză de { $amount } { $unit } pe zi ({ $term })?
exclusion-over-total = Împreună cu { $products }, produsele recomandate ar ajunge la { $total } { $unit } de { $substance } pe zi, peste limita dumneavoastră de { $limit } { $unit }.
exclusion-stimulant-stack = Conține stimulentul { $substance }, iar produsul { $product } conține deja unul: niciodată doi stimulenți în aceeași zi.
shopping-ask-doctor = Întrebați mai întâi medicul: { $why }. După ce discutați cu medicul, confirmați produsul pentru a-l include în plan.
shopping-not-confirmed = Pentru substanța { $substance } se planifică doar produsele recomandate pentru dumneavoastră sau confirmate după consultarea medicului.
confirmation-not-needed = Nimic din profilul dumneavoastră nu impune prudență pentru acest produs: nu are nevoie de confirmare.
confirmation-not-allowed = Acest produs nu este pentru dumneavoastră, iar o confirmare nu poate schimba acest lucru: { $why }
