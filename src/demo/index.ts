/** `lakehouse demo`: the seed pipeline on an embedded capture. */
export { runDemo, type DemoOptions, type DemoReport } from './run-demo'
export { demoData, CUSTOMERS_TOPIC, ORDERS_TOPIC, type DemoData, type Customer } from './demo-data'
