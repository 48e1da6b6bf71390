with movements as (
    select
        'txn-' || cast(transaction_id as varchar) as entry_id,
        account_id,
        customer_id,
        booked_date as entry_date,
        signed_amount_usd as amount_usd,
        'bank_feed' as entry_source
    from {{ ref('int_transactions_enriched') }}
),
receipts as (
    select
        'pay-' || cast(payment_id as varchar) as entry_id,
        cast(null as number(38,0)) as account_id,
        customer_id,
        paid_date as entry_date,
        amount as amount_usd,
        'psp' as entry_source
    from {{ ref('stg_payments') }}
    where payment_status = 'succeeded' and currency = 'USD'
)
select * from movements
union all
select * from receipts
