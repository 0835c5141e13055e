fn main() {
    std::process::exit(adfpg_migrate::cli::main());
}
