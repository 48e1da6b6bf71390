with final as (
select cast(issued_at as date) as revenue_date, currency, count(*) as invoice_count, sum(invoice_amount) as revenue
from {{ ref('fct_invoices') }}
where invoice_status <> 'void'
group by 1, 2
)
select
    cast(revenue_date as date) as revenue_date,
    cast(currency as varchar) as currency,
    cast(invoice_count as number(38,0)) as invoice_count,
    cast(revenue as number(18,2)) as revenue
from final
