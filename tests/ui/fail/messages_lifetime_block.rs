struct Borrower<'a> {
    name: &'a str,
}

#[keel::messages]
impl<'a> Borrower<'a> {
    #[message]
    fn name(&self) -> String {
        self.name.to_owned()
    }
}

fn main() {}
