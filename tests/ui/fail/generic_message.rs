use keel::prelude::*;

#[derive(Actor)]
struct Printer;

#[keel::messages]
impl Printer {
    #[message]
    fn print<T: std::fmt::Display + Send + 'static>(&mut self, value: T) {
        println!("{value}");
    }
}

fn main() {}
