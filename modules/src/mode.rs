//! File modes as users write them: octal strings and chmod(1)'s symbolic form.
