with payments as (select * from {{ ref('stg_payments') }}),
invoices as (select * from {{ ref('stg_invoices') }})
select
    payments.*,
    invoices.issued_at as invoice_issued_at,
    coalesce(invoices.customer_id = payments.customer_id, false) as is_customer_match
from payments
left join invoices on invoices.invoice_id = payments.invoice_id
