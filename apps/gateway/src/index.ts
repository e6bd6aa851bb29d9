// The kirchhoff gateway as a library (for tests and embedding).
export { main } from './cli';
