//! A seeded generator of realistic CRM prospect records with known truth,
//! for the deduplication tests, benches and evaluation.
//!
//! People work at companies (1 to dozens of contacts each) and are entered
//! 1 to 8 times, by different reps, with the noise real CRMs show:
//! * names in either order, upper case, initials, titles, typos, Romanian
//!   letters in comma-below, legacy cedilla or plain forms;
//! * company legal forms (`SRL`, `S.R.L.`, `SC … SRL`, none), case, typos;
//! * e-mail case and `+tags`, the company's role mailbox, a private
//!   address instead of the work one;
//! * phones in every format (`+40 721 234 567`, `0040…`, `0721-234-567`),
//!   the company switchboard instead of a mobile;
//! * city aliases (`București`, `Bucharest`, `Bucuresti Sector 3`);
//! * missing values: with [`CrmConfig::missing`] = `m` (default 0.06), a
//!   record lacks its e-mail or phone with probability `2.5 m` each, its
//!   city `1.5 m`, company `0.8 m`, country `0.5 m`, name `0.1 m`.
//!
//! And the hard negatives: colleagues sharing switchboard, company and
//! city; relatives sharing a surname at one company; namesakes (the same
//! name at another company, or at the same company with other contact
//! details); common names drawn far more often than rare ones.

use crate::error::Result;
use crate::model::ProspectRecord;

use crate::dedup::CsvRecords;
use crate::rng::Rng;

/// Generator settings.
///
/// ```
/// use sales_metrics::sim::CrmConfig;
/// let data = CrmConfig { records: 500, seed: 7, ..CrmConfig::default() }.generate();
/// assert!(data.rows.len() >= 500);
/// let again = CrmConfig { records: 500, seed: 7, ..CrmConfig::default() }.generate();
/// assert_eq!(data, again);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CrmConfig {
    /// Records to generate (approximately: whole people are generated).
    pub records: usize,
    /// Seed: the same seed gives the same data.
    pub seed: u64,
    /// Share of values left empty (per optional field, scaled per field).
    pub missing: f64,
    /// Share of name and company values with a typo.
    pub typos: f64,
    /// Share of people who get an explicit namesake.
    pub namesakes: f64,
}

impl Default for CrmConfig {
    fn default() -> Self {
        Self {
            records: 20_000,
            seed: 1,
            missing: 0.06,
            typos: 0.08,
            namesakes: 0.05,
        }
    }
}

/// One generated record with its true entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmRow {
    /// Record id.
    pub prospect_id: String,
    /// The true person (records with equal ids are one prospect).
    pub entity_id: String,
    /// Person's name.
    pub name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country (ISO alpha-2).
    pub country: Option<String>,
}

/// Generated records, in random id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrmData {
    /// The records.
    pub rows: Vec<CrmRow>,
}

const GIVEN_M: &[&str] = &[
    "Ion",
    "Andrei",
    "Alexandru",
    "Mihai",
    "Gheorghe",
    "Constantin",
    "Ștefan",
    "Florin",
    "Vasile",
    "Daniel",
    "Adrian",
    "Cristian",
    "Nicolae",
    "Bogdan",
    "Marius",
    "Radu",
    "Dan",
    "Costel",
    "Sorin",
    "Ionuț",
    "Cătălin",
    "Răzvan",
    "Gabriel",
    "Lucian",
    "Vlad",
    "Tudor",
    "Mircea",
    "Valentin",
    "Ovidiu",
    "Silviu",
    "Petru",
    "Traian",
    "Horia",
    "Dorin",
    "Emil",
    "Liviu",
    "Aurel",
    "Cosmin",
    "Sebastian",
    "Octavian",
];
const GIVEN_F: &[&str] = &[
    "Maria",
    "Elena",
    "Ioana",
    "Andreea",
    "Ana",
    "Mihaela",
    "Cristina",
    "Alexandra",
    "Gabriela",
    "Daniela",
    "Georgiana",
    "Alina",
    "Ramona",
    "Simona",
    "Roxana",
    "Mirela",
    "Adriana",
    "Raluca",
    "Diana",
    "Monica",
    "Irina",
    "Oana",
    "Camelia",
    "Larisa",
    "Bianca",
    "Corina",
    "Ștefania",
    "Loredana",
    "Anca",
    "Lavinia",
    "Teodora",
    "Florentina",
    "Nicoleta",
    "Iulia",
    "Carmen",
    "Denisa",
    "Cătălina",
    "Luminița",
    "Violeta",
    "Sorina",
];
const SURNAMES: &[&str] = &[
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
    "Rusu",
    "Mihai",
    "Constantin",
    "Munteanu",
    "Florea",
    "Ștefan",
    "Georgescu",
    "Toma",
    "Moldovan",
    "Dinu",
    "Marin",
    "Tudor",
    "Barbu",
    "Nistor",
    "Ene",
    "Lazăr",
    "Ilie",
    "Cristea",
    "Dobre",
    "Oprea",
    "Sandu",
    "Ursu",
    "Dragomir",
    "Moraru",
    "Mureșan",
    "Țurcanu",
    "Ștefănescu",
    "Dumitrașcu",
    "Nițu",
    "Răducanu",
    "Pîrvu",
    "Voicu",
    "Neagu",
    "Bălan",
    "Căpraru",
    "Zamfir",
    "Anghel",
    "Vasilescu",
    "Lungu",
    "Sârbu",
    "Manole",
    "Preda",
    "Chiriac",
    "Iordache",
    "Vlad",
    "Niculescu",
    "Mocanu",
    "Costache",
    "Roman",
    "Avram",
    "Ardeleanu",
    "Bucur",
    "Coman",
    "Grigore",
    "Husar",
    "Irimia",
    "Jianu",
    "Lupu",
    "Mărgineanu",
    "Năstase",
    "Onea",
    "Pătrașcu",
    "Roșca",
    "Sălăjan",
    "Șerban",
    "Tănase",
    "Ungureanu",
    "Vârlan",
    "Zăvoianu",
    "Bîrsan",
    "Cârstea",
    "Dascălu",
    "Enache",
    "Făgărășanu",
    "Gavrilă",
    "Hârțan",
    "Ispas",
    "Jitaru",
    "Leahu",
    "Mitrea",
    "Nedelcu",
    "Olteanu",
    "Paraschiv",
    "Rădulescu",
    "Stănescu",
    "Teodorescu",
    "Văduva",
];
const FOREIGN_GIVEN: &[&str] = &[
    "Thomas",
    "Michael",
    "Anna",
    "Julia",
    "Peter",
    "Sarah",
    "John",
    "Emma",
    "Lukas",
    "Sophie",
    "Péter",
    "Zoltán",
    "Katalin",
    "Jürgen",
    "Björn",
    "François",
    "Chloé",
    "José",
    "Łukasz",
];
const FOREIGN_SURNAMES: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Smith",
    "Johnson",
    "Brown",
    "Williams",
    "Nagy",
    "Kovács",
    "Szabó",
    "Tóth",
    "Dubois",
    "Lefèvre",
    "García",
    "Nowak",
    "Wójcik",
    "O'Brien",
    "Andersson",
    "Søndergaard",
];
const COMPANY_WORDS: &[&str] = &[
    "Alfa",
    "Beta",
    "Delta",
    "Nova",
    "Carpați",
    "Dunărea",
    "Transilvania",
    "Tehno",
    "Agro",
    "Construct",
    "Logistic",
    "Soft",
    "Med",
    "Trans",
    "Invest",
    "Consult",
    "Expert",
    "Prim",
    "Star",
    "Euro",
    "Global",
    "Vest",
    "Nord",
    "Sud",
    "Mega",
    "Smart",
    "Green",
    "Blue",
    "Digital",
    "Impex",
    "Servicii",
    "Industrial",
    "Auto",
    "Farm",
    "Pharma",
    "Energ",
    "Solar",
    "Electro",
    "Metal",
    "Lemn",
    "Textil",
    "Print",
    "Media",
    "Food",
    "Carne",
    "Lapte",
    "Vin",
    "Turism",
    "Hotel",
    "Design",
    "Arhitect",
    "Proiect",
    "Clean",
    "Secure",
    "Data",
    "Cloud",
    "Net",
    "Tel",
    "Mobil",
    "Casa",
    "Grup",
    "Partener",
    "Unirea",
    "Victoria",
    "Mărăști",
    "Crișana",
    "Banat",
    "Moldova",
    "Oltenia",
    "Muntenia",
    "Dobrogea",
    "Bucovina",
    "Maramureș",
    "Argeș",
    "Siret",
    "Olt",
    "Mureș",
    "Someș",
    "Prahova",
    "Bistrița",
    "Ceahlău",
    "Retezat",
    "Făgăraș",
    "Bucegi",
];
const RO_CITIES: &[(&str, &[&str], u32)] = &[
    (
        "București",
        &[
            "București",
            "Bucuresti",
            "Bucharest",
            "BUCUREȘTI",
            "Bucuresti Sector 3",
            "București, Sector 1",
            "Mun. București",
        ],
        30,
    ),
    (
        "Cluj-Napoca",
        &["Cluj-Napoca", "Cluj Napoca", "Cluj", "CLUJ-NAPOCA"],
        8,
    ),
    (
        "Timișoara",
        &["Timișoara", "Timisoara", "Timişoara", "TIMISOARA"],
        6,
    ),
    ("Iași", &["Iași", "Iasi", "Iaşi"], 6),
    ("Constanța", &["Constanța", "Constanta", "Constanţa"], 5),
    ("Brașov", &["Brașov", "Brasov", "Braşov"], 5),
    ("Craiova", &["Craiova", "CRAIOVA"], 4),
    ("Galați", &["Galați", "Galati", "Galaţi"], 3),
    ("Oradea", &["Oradea"], 3),
    ("Ploiești", &["Ploiești", "Ploiesti", "Ploieşti"], 3),
    ("Sibiu", &["Sibiu"], 3),
    ("Arad", &["Arad"], 2),
    ("Pitești", &["Pitești", "Pitesti"], 2),
    ("Bacău", &["Bacău", "Bacau"], 2),
    ("Suceava", &["Suceava"], 2),
    (
        "Târgu Mureș",
        &["Târgu Mureș", "Targu Mures", "Tîrgu Mureş", "Tg. Mures"],
        2,
    ),
];
const FOREIGN: &[(&str, &str, &[&str], &str)] = &[
    ("DE", "49", &["München", "Munich", "Muenchen"], "GmbH"),
    ("DE", "49", &["Köln", "Cologne", "Koeln"], "GmbH"),
    ("AT", "43", &["Wien", "Vienna"], "GmbH"),
    ("HU", "36", &["Budapest"], "Kft."),
    ("GB", "44", &["London"], "Ltd"),
    ("US", "1", &["New York", "NYC"], "Inc."),
];
const GENERIC_LOCAL: &[&str] = &[
    "info",
    "office",
    "contact",
    "sales",
    "vanzari",
    "secretariat",
];
const FREE_MAIL: &[&str] = &["gmail.com", "yahoo.com", "yahoo.ro", "outlook.com"];

/// The crate's generator with the draws the records need (a draw for
/// every `below`, even of 1, so the stream never depends on list sizes).
struct Draws(Rng);

impl Draws {
    fn f(&mut self) -> f64 {
        self.0.f64()
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        xs.get(self.below(xs.len()))
    }
    /// Zipf-like pick: index `floor(n * u^2.2)` favours the first entries.
    fn zipf<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        let u = self.f().powf(2.2);
        xs.get(((xs.len() as f64) * u) as usize)
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Company {
    name: String,
    legal: &'static str,
    domain: String,
    switchboard: String,
    city: usize,
    country: usize, // 0 = RO, else FOREIGN index + 1
}

#[derive(Debug, Clone)]
struct Person {
    given: String,
    surname: String,
    company: usize,
    email: Option<String>,
    private_email: String,
    mobile: Option<String>,
}

fn ascii_fold(s: &str) -> String {
    crate::dedup::folded(s).replace(' ', "")
}

fn cedilla(s: &str) -> String {
    s.replace('ș', "ş")
        .replace('Ș', "Ş")
        .replace('ț', "ţ")
        .replace('Ț', "Ţ")
}

fn strip_marks(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

fn typo(rng: &mut Draws, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_owned();
    }
    let i = 1 + rng.below(c.len() - 2);
    match rng.below(4) {
        0 => {
            c.swap(i, i + 1);
        }
        1 => {
            c.remove(i);
        }
        2 => {
            let x = char::from(b'a' + rng.below(26) as u8);
            c.insert(i, x);
        }
        _ => {
            if let Some(ch) = c.get_mut(i) {
                *ch = char::from(b'a' + rng.below(26) as u8);
            }
        }
    }
    c.into_iter().collect()
}

fn diacritics(rng: &mut Draws, s: &str) -> String {
    match rng.below(10) {
        0..=4 => s.to_owned(),
        5..=6 => cedilla(s),
        _ => strip_marks(s),
    }
}

impl CrmConfig {
    /// Generates the records.
    pub fn generate(&self) -> CrmData {
        let mut rng = Draws(Rng::from_state(self.seed ^ 0xc0ff_ee00_d15e_a5e5));
        let city_weights: u32 = RO_CITIES.iter().map(|c| c.2).sum();
        let mut companies: Vec<Company> = Vec::new();
        let mut people: Vec<Person> = Vec::new();
        let mut records_planned = 0usize;
        let mut counts: Vec<usize> = Vec::new();
        while records_planned < self.records {
            // A company and its contacts.
            // Company names as varied as real ones: word pairs and
            // triples, a founder's surname with a trade, an acronym with a
            // word.
            let word = |rng: &mut Draws| rng.pick(COMPANY_WORDS).copied().unwrap_or("Alfa");
            let name = match rng.below(20) {
                0..=8 => format!("{} {}", word(&mut rng), word(&mut rng)),
                9..=12 => format!("{} {} {}", word(&mut rng), word(&mut rng), word(&mut rng)),
                13..=16 => format!(
                    "{} {}",
                    rng.pick(SURNAMES).copied().unwrap_or("Pop"),
                    word(&mut rng)
                ),
                _ => {
                    let acronym: String = (0..2 + rng.below(2))
                        .map(|_| char::from(b'A' + rng.below(26) as u8))
                        .collect();
                    format!("{acronym} {}", word(&mut rng))
                }
            };
            let country = if rng.chance(0.12) {
                1 + rng.below(FOREIGN.len())
            } else {
                0
            };
            let legal = match country {
                0 => *rng
                    .pick(&["SRL", "SRL", "SRL", "SRL", "SA", "PFA"])
                    .unwrap_or(&"SRL"),
                c => FOREIGN.get(c - 1).map_or("Ltd", |f| f.3),
            };
            let city = if country == 0 {
                let mut x = rng.below(city_weights as usize) as u32;
                RO_CITIES
                    .iter()
                    .position(|c| {
                        if x < c.2 {
                            true
                        } else {
                            x -= c.2;
                            false
                        }
                    })
                    .unwrap_or(0)
            } else {
                0
            };
            let tld = if country == 0 { "ro" } else { "com" };
            let domain = format!("{}{}.{tld}", ascii_fold(&name), rng.digits(1));
            let switchboard = match country {
                0 => format!(
                    "40{}{}",
                    *rng.pick(&["21", "264", "256", "232", "241", "268"])
                        .unwrap_or(&"21"),
                    rng.digits(6)
                ),
                c => format!(
                    "{}{}",
                    FOREIGN.get(c - 1).map_or("1", |f| f.1),
                    rng.digits(9)
                ),
            };
            let ci = companies.len();
            companies.push(Company {
                name,
                legal,
                domain,
                switchboard,
                city,
                country,
            });
            let size = if rng.chance(0.4) {
                1
            } else {
                2 + (rng.f().powf(2.5) * 30.0) as usize
            };
            let family = rng
                .chance(0.1)
                .then(|| rng.zipf(SURNAMES).copied().unwrap_or("Popescu").to_owned());
            let mut names_here: Vec<(String, String)> = Vec::new();
            for _ in 0..size {
                let foreign = country != 0 || rng.chance(0.04);
                let female = rng.chance(0.5);
                let draw_given = |rng: &mut Draws| {
                    if foreign {
                        rng.pick(FOREIGN_GIVEN)
                    } else if female {
                        rng.zipf(GIVEN_F)
                    } else {
                        rng.zipf(GIVEN_M)
                    }
                    .copied()
                    .unwrap_or("Ion")
                    .to_owned()
                };
                let mut given = draw_given(&mut rng);
                let surname = match &family {
                    Some(f) if rng.chance(0.5) => f.clone(),
                    _ => if foreign {
                        rng.pick(FOREIGN_SURNAMES)
                    } else {
                        rng.zipf(SURNAMES)
                    }
                    .copied()
                    .unwrap_or("Pop")
                    .to_owned(),
                };
                // Two colleagues with the very same name are rare; the
                // explicit namesakes below provide them.
                for _ in 0..8 {
                    if !names_here.contains(&(given.clone(), surname.clone())) {
                        break;
                    }
                    given = draw_given(&mut rng);
                }
                names_here.push((given.clone(), surname.clone()));
                let person = self.person(&mut rng, given, surname, ci, &companies);
                people.push(person);
                let n = self.records_per_person(&mut rng);
                counts.push(n);
                records_planned += n;
                // Explicit namesakes: same name elsewhere, or at the same
                // company with contact details of their own.
                if rng.chance(self.namesakes) {
                    let (g, s) = people
                        .last()
                        .map(|p| (p.given.clone(), p.surname.clone()))
                        .unwrap_or_default();
                    let at = if rng.chance(0.1) || companies.len() < 2 {
                        ci
                    } else {
                        rng.below(companies.len())
                    };
                    let twin = self.person(&mut rng, g, s, at, &companies);
                    people.push(twin);
                    let n = self.records_per_person(&mut rng);
                    counts.push(n);
                    records_planned += n;
                }
            }
        }
        let mut rows = Vec::with_capacity(records_planned);
        for (pi, (p, &n)) in people.iter().zip(&counts).enumerate() {
            let Some(c) = companies.get(p.company) else {
                continue;
            };
            for _ in 0..n {
                rows.push(self.render(&mut rng, pi, p, c));
            }
        }
        // Ids in random order, so that id order says nothing.
        let mut perm: Vec<usize> = (0..rows.len()).collect();
        for i in (1..perm.len()).rev() {
            let j = rng.below(i + 1);
            perm.swap(i, j);
        }
        for (row, &k) in rows.iter_mut().zip(&perm) {
            row.prospect_id = format!("p{k:07}");
        }
        rows.sort_by(|a, b| a.prospect_id.cmp(&b.prospect_id));
        CrmData { rows }
    }

    fn records_per_person(&self, rng: &mut Draws) -> usize {
        let u = rng.f();
        let cdf = [0.55, 0.75, 0.85, 0.91, 0.95, 0.975, 0.99, 1.0];
        1 + cdf.iter().position(|&c| u < c).unwrap_or(7)
    }

    fn person(
        &self,
        rng: &mut Draws,
        given: String,
        surname: String,
        company: usize,
        companies: &[Company],
    ) -> Person {
        let g = ascii_fold(&given);
        let s = ascii_fold(&surname);
        let domain = companies
            .get(company)
            .map_or("example.ro".to_owned(), |c| c.domain.clone());
        let local = match rng.below(5) {
            0 | 1 => format!("{g}.{s}"),
            2 => format!("{}.{s}", g.chars().next().unwrap_or('x')),
            3 => format!("{s}.{g}"),
            _ => format!("{g}{}", rng.digits(2)),
        };
        let free = rng.pick(FREE_MAIL).copied().unwrap_or("gmail.com");
        // Private addresses are unique per person, as mailbox providers
        // make them.
        let private_email = format!("{g}.{s}{}@{free}", rng.digits(5));
        let email = if rng.chance(0.85) {
            Some(format!("{local}@{domain}"))
        } else {
            Some(private_email.clone())
        };
        let country = companies.get(company).map_or(0, |c| c.country);
        let mobile = rng.chance(0.75).then(|| match country {
            0 => format!("407{}{}", rng.below(9) + 1, rng.digits(7)),
            c => format!(
                "{}{}",
                FOREIGN.get(c - 1).map_or("1", |f| f.1),
                rng.digits(10)
            ),
        });
        Person {
            given,
            surname,
            company,
            email,
            private_email,
            mobile,
        }
    }

    fn render(&self, rng: &mut Draws, entity: usize, p: &Person, c: &Company) -> CrmRow {
        let miss = self.missing;
        let country_code = match c.country {
            0 => "RO",
            k => FOREIGN.get(k - 1).map_or("US", |f| f.0),
        };
        // Name.
        let mut given = diacritics(rng, &p.given);
        let mut surname = diacritics(rng, &p.surname);
        if rng.chance(self.typos) {
            if rng.chance(0.5) {
                given = typo(rng, &given);
            } else {
                surname = typo(rng, &surname);
            }
        }
        let initial = format!("{}.", given.chars().next().unwrap_or('X'));
        let mut name = match rng.below(20) {
            0..=8 => format!("{given} {surname}"),
            9..=12 => format!("{surname} {given}"),
            13..=14 => format!("{} {given}", surname.to_uppercase()),
            15 => format!("{surname}, {given}"),
            16..=17 => format!("{initial} {surname}"),
            18 => format!("{} {}", given.to_lowercase(), surname.to_lowercase()),
            _ => format!("{} {}", given.to_uppercase(), surname.to_uppercase()),
        };
        if rng.chance(0.03) {
            name = format!(
                "{} {name}",
                rng.pick(&["Dl.", "Dna.", "Ing.", "Dr."]).unwrap_or(&"Dl.")
            );
        }
        let name = (!rng.chance(miss * 0.1)).then_some(name);
        // Company.
        let mut cname = diacritics(rng, &c.name);
        if rng.chance(self.typos * 0.5) {
            cname = typo(rng, &cname);
        }
        let company = match (c.country, rng.below(8)) {
            (0, 0..=2) => format!("{cname} {}", c.legal),
            (0, 3) => format!("{cname} {}", dotted(c.legal)),
            (0, 4) => format!("S.C. {cname} {}", dotted(c.legal)),
            (0, 5) => format!("SC {} {}", cname.to_uppercase(), c.legal),
            (_, 6) => cname.to_lowercase(),
            (_, 0..=3) => format!("{cname} {}", c.legal),
            _ => cname,
        };
        let company = (!rng.chance(miss * 0.8)).then_some(company);
        // E-mail.
        let email = if rng.chance(miss * 2.5) {
            None
        } else if rng.chance(0.08) {
            Some(format!(
                "{}@{}",
                rng.pick(GENERIC_LOCAL).unwrap_or(&"info"),
                c.domain
            ))
        } else if rng.chance(0.05) {
            Some(p.private_email.clone())
        } else {
            p.email.as_ref().map(|e| {
                let e = if rng.chance(0.1) {
                    let (l, d) = e.split_once('@').unwrap_or((e, ""));
                    format!(
                        "{l}+{}@{d}",
                        rng.pick(&["crm", "news", "2024", "x"]).unwrap_or(&"crm")
                    )
                } else {
                    e.clone()
                };
                match rng.below(10) {
                    0 => e.to_uppercase(),
                    1 => capitalise_local(&e),
                    _ => e,
                }
            })
        };
        // Phone.
        let phone = if rng.chance(miss * 2.5) {
            None
        } else {
            let number = match &p.mobile {
                Some(m) if rng.chance(0.7) => m.clone(),
                _ => c.switchboard.clone(),
            };
            let number = if rng.chance(0.02) {
                typo_digits(rng, &number)
            } else {
                number
            };
            Some(format_phone(rng, &number, c.country == 0))
        };
        // City.
        let city = if rng.chance(miss * 1.5) {
            None
        } else if c.country == 0 {
            RO_CITIES
                .get(c.city)
                .and_then(|x| rng.pick(x.1))
                .map(|s| (*s).to_owned())
        } else {
            FOREIGN
                .get(c.country - 1)
                .and_then(|f| rng.pick(f.2))
                .map(|s| (*s).to_owned())
        };
        let country = (!rng.chance(miss * 0.5)).then(|| country_code.to_owned());
        CrmRow {
            prospect_id: String::new(),
            entity_id: format!("e{entity}"),
            name,
            company,
            email,
            phone,
            city,
            country,
        }
    }
}

fn dotted(legal: &str) -> String {
    legal.chars().map(|c| format!("{c}.")).collect()
}

fn capitalise_local(e: &str) -> String {
    let (l, d) = e.split_once('@').unwrap_or((e, ""));
    let l: Vec<String> = l
        .split('.')
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{}@{d}", l.join("."))
}

fn typo_digits(rng: &mut Draws, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() > 4 {
        let i = c.len() - 1 - rng.below(4);
        if let Some(ch) = c.get_mut(i) {
            *ch = char::from(b'0' + rng.below(10) as u8);
        }
    }
    c.into_iter().collect()
}

/// Formats international digits the ways people type them.
fn format_phone(rng: &mut Draws, digits: &str, romanian: bool) -> String {
    if romanian && let Some(national) = digits.strip_prefix("40") {
        let (a, rest) = national.split_at(3.min(national.len()));
        let (b, c) = rest.split_at(3.min(rest.len()));
        return match rng.below(7) {
            0 => format!("+40 {a} {b} {c}"),
            1 => format!("0040{national}"),
            2 => format!("0{a}-{b}-{c}"),
            3 => format!("0{a} {b} {c}"),
            4 => format!("(0{a}) {b}.{c}"),
            5 => format!("+40{national}"),
            _ => format!("0{national}"),
        };
    }
    match rng.below(3) {
        0 => format!("+{digits}"),
        1 => format!("00{digits}"),
        _ => {
            let (cc, rest) = digits.split_at(2.min(digits.len()));
            format!("+{cc} {rest}")
        }
    }
}

impl CrmData {
    /// The records as [`CsvRecords`] with columns `prospect_id, entity_id,
    /// name, company, email, phone, city, country`.
    ///
    /// # Errors
    /// None in practice.
    pub fn records(&self) -> Result<CsvRecords> {
        let headers = [
            "prospect_id",
            "entity_id",
            "name",
            "company",
            "email",
            "phone",
            "city",
            "country",
        ]
        .map(String::from)
        .to_vec();
        let mut t = CsvRecords::new(headers, "prospect_id")?;
        for r in &self.rows {
            t.push_row([
                r.prospect_id.as_str(),
                r.entity_id.as_str(),
                r.name.as_deref().unwrap_or(""),
                r.company.as_deref().unwrap_or(""),
                r.email.as_deref().unwrap_or(""),
                r.phone.as_deref().unwrap_or(""),
                r.city.as_deref().unwrap_or(""),
                r.country.as_deref().unwrap_or(""),
            ]);
        }
        Ok(t)
    }

    /// The records as prospect records (SPEC §2 fields).
    pub fn prospect_records(&self) -> Vec<ProspectRecord> {
        self.rows
            .iter()
            .map(|r| ProspectRecord {
                name: r.name.clone(),
                company: r.company.clone(),
                email: r.email.clone(),
                phone: r.phone.clone(),
                city: r.city.clone(),
                country: r.country.clone(),
                ..ProspectRecord::new(r.prospect_id.as_str())
            })
            .collect()
    }

    /// `(prospect_id, entity_id)` truth pairs.
    pub fn truth(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.rows
            .iter()
            .map(|r| (r.prospect_id.as_str(), r.entity_id.as_str()))
    }

    /// Writes the records as CSV (the [`CrmData::records`] columns).
    ///
    /// # Errors
    /// [`Error::Write`](crate::Error::Write) when writing fails.
    pub fn write_csv<W: std::io::Write>(&self, writer: W) -> Result<()> {
        let mut w = csv::Writer::from_writer(writer);
        let io = |e: csv::Error| crate::error::Error::write("synthetic records CSV", e);
        w.write_record([
            "prospect_id",
            "entity_id",
            "name",
            "company",
            "email",
            "phone",
            "city",
            "country",
        ])
        .map_err(io)?;
        for r in &self.rows {
            w.write_record([
                r.prospect_id.as_str(),
                r.entity_id.as_str(),
                r.name.as_deref().unwrap_or(""),
                r.company.as_deref().unwrap_or(""),
                r.email.as_deref().unwrap_or(""),
                r.phone.as_deref().unwrap_or(""),
                r.city.as_deref().unwrap_or(""),
                r.country.as_deref().unwrap_or(""),
            ])
            .map_err(io)?;
        }
        w.flush()
            .map_err(|e| crate::error::Error::write("synthetic records CSV", e))?;
        Ok(())
    }
}
