//! Rules about NumPy `.npy` files.
pub mod malformed_npy;
pub mod object_array;
