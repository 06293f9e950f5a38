//! Romanian-flavoured names, companies and cities, and the ways the same
//! person gets typed into a CRM a second time: name order swapped,
//! diacritics dropped, company suffix variants (`SRL` / `S.R.L.`), e-mail
//! case and `+tags`, phone formats (`+40 721 234 567` / `0721-234-567`),
//! fields left empty.

use crate::rng::Rng;

pub(crate) const FEMALE_FIRST: &[&str] = &[
    "Ana",
    "Ioana",
    "Maria",
    "Elena",
    "Andreea",
    "Mihaela",
    "Cristina",
    "Alexandra",
    "Gabriela",
    "Raluca",
    "Simona",
    "Roxana",
    "Diana",
    "Oana",
    "Irina",
    "Laura",
    "Adriana",
    "Camelia",
    "Larisa",
    "Corina",
    "Ștefania",
    "Bianca",
    "Daniela",
    "Luminița",
    "Georgiana",
    "Teodora",
];

pub(crate) const MALE_FIRST: &[&str] = &[
    "Ion",
    "Andrei",
    "Mihai",
    "Alexandru",
    "Ștefan",
    "Gheorghe",
    "Vasile",
    "Constantin",
    "Radu",
    "Bogdan",
    "Florin",
    "Cătălin",
    "Dan",
    "Adrian",
    "Cosmin",
    "Sorin",
    "Marius",
    "Răzvan",
    "Horia",
    "Ovidiu",
    "Tudor",
    "Lucian",
    "Nicolae",
    "Dragoș",
    "Valentin",
    "Emil",
];

pub(crate) const LAST: &[&str] = &[
    "Popescu",
    "Ionescu",
    "Popa",
    "Pop",
    "Radu",
    "Dumitru",
    "Stan",
    "Stoica",
    "Gheorghe",
    "Matei",
    "Ciobanu",
    "Mureșan",
    "Constantin",
    "Rusu",
    "Moldovan",
    "Lungu",
    "Florea",
    "Tănase",
    "Munteanu",
    "Oprea",
    "Voicu",
    "Dobre",
    "Ene",
    "Sârbu",
    "Barbu",
    "Nistor",
    "Toma",
    "Cristea",
    "Manole",
    "Diaconu",
    "Preda",
    "Năstase",
    "Bălan",
    "Țurcanu",
    "Husar",
    "Iordache",
    "Marin",
    "Șerban",
    "Călin",
    "Neagu",
    "Ursu",
    "Costache",
    "Zamfir",
    "Vlad",
    "Avram",
    "Crăciun",
    "Petrescu",
    "Anghel",
    "Bucur",
    "Chiriac",
];

/// Words that make company names ("Agro Vest", "Construct Nord").
pub(crate) const COMPANY_A: &[&str] = &[
    "Agro",
    "Construct",
    "Trans",
    "Tehno",
    "Med",
    "Eco",
    "Info",
    "Electro",
    "Termo",
    "Auto",
    "Dental",
    "Logistic",
    "Farm",
    "Print",
    "Metal",
    "Lemn",
    "Vin",
    "Casa",
    "Green",
    "Soft",
];

pub(crate) const COMPANY_B: &[&str] = &[
    "Vest",
    "Nord",
    "Sud",
    "Est",
    "Carpați",
    "Dunărea",
    "Expert",
    "Plus",
    "Design",
    "Service",
    "Grup",
    "Impex",
    "Prod",
    "Distribuție",
    "Solutions",
    "Mureș",
    "Olt",
    "Prim",
    "Star",
    "Total",
];

pub(crate) const COMPANY_C: &[&str] = &[
    "Com",
    "Trading",
    "Consult",
    "Tech",
    "Invest",
    "Serv",
    "Market",
    "Industries",
    "Business",
    "Systems",
];

pub(crate) const SUFFIXES: &[&str] = &["SRL", "SA", "SRL", "SRL", "PFA"];

pub(crate) const CITIES: &[&str] = &[
    "București",
    "Cluj-Napoca",
    "Timișoara",
    "Iași",
    "Constanța",
    "Craiova",
    "Brașov",
    "Galați",
    "Ploiești",
    "Oradea",
    "Brăila",
    "Arad",
    "Pitești",
    "Sibiu",
    "Bacău",
    "Târgu Mureș",
    "Baia Mare",
    "Buzău",
    "Suceava",
    "Focșani",
];

/// Drops Romanian diacritics (and both cedilla and comma forms).
pub(crate) fn ascii_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ă' | 'â' => 'a',
            'Ă' | 'Â' => 'A',
            'î' => 'i',
            'Î' => 'I',
            'ș' | 'ş' => 's',
            'Ș' | 'Ş' => 'S',
            'ț' | 'ţ' => 't',
            'Ț' | 'Ţ' => 'T',
            other => other,
        })
        .collect()
}

fn slug(s: &str) -> String {
    ascii_fold(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

/// A company: base name and legal suffix.
#[derive(Debug, Clone)]
pub(crate) struct Company {
    pub(crate) base: String,
    pub(crate) suffix: &'static str,
    pub(crate) domain: String,
    pub(crate) city: &'static str,
}

impl Company {
    pub(crate) fn random(rng: &mut Rng, serial: usize) -> Self {
        let a = rng.pick(COMPANY_A).copied().unwrap_or("Agro");
        let b = rng.pick(COMPANY_B).copied().unwrap_or("Vest");
        // Two words give 400 names, so different companies sometimes share
        // one (in other cities), as real ones do; a third word now and then
        // widens the range.
        let base = if serial % 3 == 2 {
            let c = rng.pick(COMPANY_C).copied().unwrap_or("Com");
            format!("{a} {b} {c}")
        } else {
            format!("{a} {b}")
        };
        let domain = format!("{}.ro", slug(&base));
        Company {
            base,
            suffix: rng.pick(SUFFIXES).copied().unwrap_or("SRL"),
            domain,
            city: rng.pick(CITIES).copied().unwrap_or("București"),
        }
    }

    pub(crate) fn canonical(&self) -> String {
        format!("{} {}", self.base, self.suffix)
    }
}

/// One real person the simulated team may reach.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub(crate) first: &'static str,
    pub(crate) last: &'static str,
    pub(crate) company: usize,
    pub(crate) email: String,
    /// Nine national digits, starting with 7 (mobile) or 2/3 (landline).
    pub(crate) phone: String,
}

impl Identity {
    pub(crate) fn random(rng: &mut Rng, company: usize, companies: &[Company]) -> Self {
        let female = rng.chance(0.5);
        let first = if female {
            rng.pick(FEMALE_FIRST).copied().unwrap_or("Ana")
        } else {
            rng.pick(MALE_FIRST).copied().unwrap_or("Ion")
        };
        let last = rng.pick(LAST).copied().unwrap_or("Popescu");
        let domain = match companies.get(company) {
            Some(c) if rng.chance(0.7) => c.domain.clone(),
            _ => rng
                .pick(&["gmail.com", "yahoo.com", "yahoo.ro"])
                .copied()
                .unwrap_or("gmail.com")
                .to_owned(),
        };
        let local = match rng.index(3) {
            0 => format!("{}.{}", slug(first), slug(last)),
            1 => format!(
                "{}{}",
                slug(first).chars().next().unwrap_or('x'),
                slug(last)
            ),
            _ => format!("{}.{}{}", slug(first), slug(last), rng.range(1, 99)),
        };
        let lead = if rng.chance(0.85) { '7' } else { '2' };
        let phone = format!("{lead}{:08}", rng.range(0, 99_999_999));
        Identity {
            first,
            last,
            company,
            email: format!("{local}@{domain}"),
            phone,
        }
    }
}

/// The fields of one prospect record as typed.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordText {
    pub(crate) name: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) city: Option<String>,
}

fn phone_format(digits: &str, style: usize) -> String {
    let (a, rest) = digits.split_at(digits.len().min(3));
    let (b, c) = rest.split_at(rest.len().min(3));
    match style {
        0 => format!("+40 {a} {b} {c}"),
        1 => format!("0{a}-{b}-{c}"),
        2 => format!("0{digits}"),
        3 => format!("+40{digits}"),
        4 => format!("0040 {a} {b} {c}"),
        _ => format!("(0{a}) {b} {c}"),
    }
}

fn company_variant(c: &Company, rng: &mut Rng) -> String {
    let suffix = match (c.suffix, rng.index(4)) {
        ("SRL", 0) => "S.R.L.",
        ("SRL", 1) => "srl",
        ("SA", 0) => "S.A.",
        ("SRL", 2) => return format!("SC {} SRL", c.base),
        (_, 3) => return c.base.clone(),
        (s, _) => s,
    };
    format!("{} {}", c.base, suffix)
}

fn email_variant(email: &str, rng: &mut Rng) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    match rng.index(3) {
        0 => email.to_uppercase(),
        1 => {
            let mut cs = local.chars();
            let first: String = cs
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            format!("{first}{}@{domain}", cs.as_str())
        }
        _ => {
            let tag = rng
                .pick(&["crm", "news", "oferte", "2026"])
                .copied()
                .unwrap_or("crm");
            format!("{local}+{tag}@{domain}")
        }
    }
}

/// The record as a careful rep types it the first time.
pub(crate) fn canonical_text(id: &Identity, companies: &[Company], rng: &mut Rng) -> RecordText {
    let company = companies.get(id.company);
    RecordText {
        name: Some(format!("{} {}", id.first, id.last)),
        company: company.map(Company::canonical),
        email: rng.chance(0.9).then(|| id.email.clone()),
        phone: rng
            .chance(0.85)
            .then(|| phone_format(&id.phone, rng.index(4))),
        city: company
            .map(|c| c.city.to_owned())
            .filter(|_| rng.chance(0.8)),
    }
}

/// The same person typed again, with one to three of the usual variations.
/// At least one strong identifier (e-mail or phone) or name plus company
/// survives, as it does when a real person re-enters a CRM.
pub(crate) fn variant_text(id: &Identity, companies: &[Company], rng: &mut Rng) -> RecordText {
    let mut t = canonical_text(id, companies, rng);
    let company = companies.get(id.company);
    let changes = rng.range(1, 3);
    for _ in 0..changes {
        match rng.index(7) {
            0 => t.name = Some(format!("{} {}", id.last, id.first)),
            1 => {
                t.name = t.name.as_deref().map(ascii_fold);
                t.city = t.city.as_deref().map(ascii_fold);
                t.company = t.company.as_deref().map(ascii_fold);
            }
            2 => t.company = company.map(|c| company_variant(c, rng)),
            3 => t.email = Some(email_variant(&id.email, rng)),
            4 => t.phone = Some(phone_format(&id.phone, rng.index(6))),
            5 => {
                if t.phone.is_some() {
                    t.email = None;
                } else {
                    t.phone = Some(phone_format(&id.phone, rng.index(6)));
                }
            }
            _ => t.city = None,
        }
    }
    if rng.chance(0.15) {
        t.name = t.name.as_deref().map(str::to_uppercase);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_and_phone_formats() {
        assert_eq!(
            ascii_fold("Ștefan Mureșan, Brașov"),
            "Stefan Muresan, Brasov"
        );
        assert_eq!(phone_format("721234567", 0), "+40 721 234 567");
        assert_eq!(phone_format("721234567", 1), "0721-234-567");
    }

    #[test]
    fn variants_keep_some_identifier() {
        let mut rng = Rng::new(3, 0);
        let companies: Vec<Company> = (0..5).map(|i| Company::random(&mut rng, i)).collect();
        for _ in 0..200 {
            let id = Identity::random(&mut rng, 2, &companies);
            let v = variant_text(&id, &companies, &mut rng);
            assert!(v.name.is_some());
            assert!(v.email.is_some() || v.phone.is_some() || v.company.is_some());
        }
    }
}
