# Poruke interfejsa API-ja na srpskom jeziku (latinica); engleski je rezervni jezik za svaki lokalitet.
# Količine i cene stižu već formatirane za lokalitet; brojevi stižu kao brojevi (zbog oblika množine).

## Zašto se proizvod preporučuje

reason-protein-gap = Pokriva { $percent } % vašeg manjka proteina od { $gap } g dnevno.
reason-protein-per-meal = { $grams } g proteina posle treninga – doza po obroku koju preporučuje ISSN (0,25–0,4 g/kg). Beležite šta jedete kako bi se doza prilagodila vašem manjku proteina.
reason-dose = { $amount } { $unit } dnevno ({ $substance }).
reason-evidence-a = Čvrsti dokazi o delotvornosti: { $substance } (AIS, grupa A).
reason-evidence-b = Preliminarni dokazi o delotvornosti: { $substance } (AIS, grupa B).
reason-evidence-c = Malo dokaza o delotvornosti: { $substance } (AIS, grupa C).
reason-sport = Posebno pogodan izbor za { $sport }.
reason-goal = Odgovara vašem cilju: { $goal }.
reason-price-per-day = { $price } dnevno u najjeftinijoj prodavnici.
reason-not-in-stock = Trenutno nema na stanju ni u jednoj prodavnici.

## Zašto je proizvod izostavljen

exclusion-not-needed = Nije potrebno: vaša ishrana ili trening već pokriva ono čemu služi.
exclusion-evidence-d = Sadrži sastojak { $substance }, koji AIS svrstava u grupu D: za sportiste je zabranjen ili nosi visok rizik od kontaminacije.
exclusion-too-strong = Čak bi i najmanja porcija premašila gornju granicu bezbednog dnevnog unosa sastojka { $substance }.
exclusion-max-servings = Čak i najmanja porcija premašuje dnevni maksimum porcija.
exclusion-allergen = Sadrži alergen na koji imate alergiju: { $allergen }.

## Kada uzimati

timing-pre_workout = 30–60 minuta pre treninga
timing-well_before_training = 2–3 sata pre treninga
timing-post_workout = U roku od sat vremena posle treninga
timing-during_training = Tokom treninga dužih od sat vremena
timing-with_meal = Uz obrok
timing-daily = Jednom dnevno, podjednako u dane treninga i odmora
timing-doses = { $doses ->
    [1] u jednoj dozi
    [one] podeljeno na { $doses } dozu tokom dana
    [few] podeljeno na { $doses } doze tokom dana
   *[other] podeljeno na { $doses } doza tokom dana
}

## Nazivi koji se umeću u rečenice

substance-protein = protein
sport-endurance = sportove izdržljivosti
sport-strength_power = sportove snage i eksplozivnosti
sport-team_sport = ekipne sportove
sport-weight_class_combat = sportove sa težinskim kategorijama i borilačke sportove
sport-aesthetic = estetske sportove
sport-general_fitness = opšti fitnes
goal-mass = povećanje mišićne mase
goal-cut = gubitak masnog tkiva
goal-maintain = održavanje telesne težine
goal-endurance = izdržljivost
goal-performance = sportske performanse
unit-g = g
unit-mg = mg
unit-ug = µg
unit-iu = IJ
unit-servings = { $count ->
    [one] porcija
    [few] porcije
   *[other] porcija
}

## Planovi kupovine

shopping-not-sold = Nema na stanju ni u jednoj od razmatranih prodavnica.
shopping-unsafe = U ovoj količini nije bezbedno za vas: { $why }
shopping-constraints = Nijedan plan u okviru dozvoljenih prodavnica ne ispunjava minimalnu porudžbinu svake prodavnice.
shopping-out-of-budget = Plan nije pronađen u okviru radnog ograničenja od { $ms } ms; planirajte manje stavki ili prodavnica odjednom.
shopping-max-stores = Nijedan plan ne kupuje sve u { $count ->
    [1] jednoj prodavnici
    [one] { $count } prodavnici
    [few] { $count } prodavnice
   *[other] { $count } prodavnica
}; dozvolite više prodavnica.

## Planovi obroka

plan-under = { $target }: { $amount } { $unit } ispod dozvoljenog opsega ({ $percent } % cilja).
plan-over = { $target }: { $amount } { $unit } iznad dozvoljenog opsega ({ $percent } % cilja).
target-energy_kcal = Energija
target-protein_g = Proteini
target-carbohydrate_g = Ugljeni hidrati
target-fat_g = Masti
target-budget = Cena hrane
unit-kcal = kcal
unit-rsd = RSD

## Vrste proizvoda

product-type-protein = Proteini
product-type-creatine = Kreatin
product-type-amino = Aminokiseline
product-type-vitamin_mineral = Vitamini i minerali
product-type-pre_workout = Pre treninga
product-type-post_workout = Posle treninga
product-type-carbohydrate = Ugljeni hidrati
product-type-electrolyte = Elektroliti
product-type-fat_burner = Sagorevači masti
product-type-other = Ostalo

## Nivoi preporuka

life-stage-pregnancy = Za sastojak { $substance } kao suplement nema zabeleženih podataka o bezbednosti u trudnoći: pitajte lekara pre nego što ga uzmete.
life-stage-breastfeeding = Za sastojak { $substance } kao suplement nema zabeleženih podataka o bezbednosti tokom dojenja: pitajte lekara pre nego što ga uzmete.
life-stage-minor = Mlađima od 18 godina samo sportska hrana i medicinski suplementi: prema okviru Australijskog instituta za sport, sastojak { $substance } je namenjen odraslim sportistima.
combined-cautions = Ovo upozorenje se sabira sa ostalima ({ $terms }): nije za vas.
ask-doctor-question = Pitajte lekara: da li vam sastojak { $substance } u količini od { $amount } { $unit } dnevno odgovara ({ $term })?
exclusion-over-total = Zajedno sa proizvodima { $products } preporučeni proizvodi bi ukupno dali { $total } { $unit } sastojka { $substance } dnevno, što je iznad vaše granice od { $limit } { $unit }.
exclusion-stimulant-stack = Sadrži stimulans { $substance }, a proizvod { $product } već sadrži jedan: nikada dva stimulansa istog dana.
shopping-ask-doctor = Prvo pitajte lekara: { $why }. Posle razgovora sa lekarom potvrdite proizvod da bi ušao u plan.
shopping-not-confirmed = Za sastojak { $substance } planiraju se samo proizvodi preporučeni za vas ili potvrđeni posle razgovora sa lekarom.
confirmation-not-needed = Ništa u vašem profilu ne zahteva oprez kod ovog proizvoda: potvrda nije potrebna.
confirmation-not-allowed = Ovaj proizvod nije za vas i potvrda to ne može da promeni: { $why }
