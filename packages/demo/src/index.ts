// The offline demo of the whole pipeline on the local AWS simulator.
export { runBasicDemo, type BasicDemoOptions } from "./basic";
