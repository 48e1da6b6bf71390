select payment_id, customer_id, invoice_id, payment_method, failure_reason, paid_at, paid_date, amount, currency
from {{ ref('stg_payments') }}
where payment_status = 'failed'
