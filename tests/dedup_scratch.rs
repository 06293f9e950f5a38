use sales_metrics::dedup::{Dedup, Table};
#[test]
fn scratch() -> Result<(), Box<dyn std::error::Error>> {
    let csv = "prospect_id,name,company,email,phone,city,country\n\
a,ioana ionescu,Beta Expert,i.ionescu@betaexpert5.ro,0733240779,Bucuresti,RO\n\
b,Ion Ionescu,Beta Expert S.A.,ion.ionescu@betaexpert5.ro,0779-073-026,Bucuresti,RO\n\
c,x y,Gamma,x@y.ro,0711111111,Iasi,RO\n";
    let t = Table::from_csv(csv.as_bytes(), "prospect_id")?;
    let r = Dedup::prospect().with_settings(sales_metrics::dedup::DedupSettings{threshold: 1e-9, ..Default::default()}).run(&t)?;
    for e in r.all_evidence() { println!("{e}"); }
    Ok(())
}
